/**
 * The connection string is never shown as given: its password is replaced in every message that
 * leaves this module (pg's own errors, URL parse errors, anything that echoes the string).
 */
const MASK = '***';

/** `//user:` then everything up to the last `@` (greedy), in a string `new URL` refused. */
const UNPARSED_PASSWORD = /(\/\/[^/:@]*:)(.*)@/s;

/**
 * The URL with its password masked. A string that does not parse is masked from the user's `:` to
 * the last `@`: a password may hold a raw `@`, and masking too much is the safe side.
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = MASK;
    return parsed.toString();
  } catch {
    return url.replace(UNPARSED_PASSWORD, `$1${MASK}@`);
  }
}

/** Every form of the password that could appear in a message: as written, and percent-decoded. */
export function secretsOf(url: string): string[] {
  let raw: string | undefined;
  try {
    raw = new URL(url).password;
  } catch {
    raw = UNPARSED_PASSWORD.exec(url)?.[2];
  }
  if (!raw) return [];
  const forms = new Set([raw]);
  try {
    forms.add(decodeURIComponent(raw));
  } catch {
    // A malformed escape: the raw form is all there is.
  }
  return [...forms].filter((form) => form.length > 0).sort((a, b) => b.length - a.length);
}

/** `text` with the whole URL and then every form of its password replaced. */
export function redactText(text: string, url: string): string {
  let out = text.split(url).join(redactUrl(url));
  for (const secret of secretsOf(url)) out = out.split(secret).join(MASK);
  return out;
}
