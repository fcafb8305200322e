/** Settings shown by `mxx config` and the server log without the secrets some of them carry. */

/** `postgres://user:secret@host/db` → `postgres://user:***@host/db`; anything else as it is. */
export function redactUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password === '') return value;
    url.password = '***';
    return url.toString();
  } catch {
    return value;
  }
}

/**
 * A webhook as its origin: many services (Slack, Discord, Teams) put the secret in the path, so
 * `https://hooks.slack.com/services/T0/B0/xyz` is shown as `https://hooks.slack.com/…`.
 */
export function webhookOrigin(value: string): string {
  try {
    const url = new URL(value);
    return url.pathname === '/' && url.search === '' ? url.origin : `${url.origin}/…`;
  } catch {
    return '(unreadable URL)';
  }
}
