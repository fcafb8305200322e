/**
 * One webhook attempt: a JSON POST, bounded in time, never following a redirect. The caller
 * decides about retries from `retry`; an attempt never throws.
 */
import { VERSION } from '../version.js';

export interface AttemptOutcome {
  ok: boolean;
  /** Worth another attempt: a network error, a timeout or a 5xx. */
  retry: boolean;
  /** In words, for the server log: "HTTP 503", "timed out after 10 s", "connection refused". */
  detail: string;
}

export interface WebhookRequest {
  url: string;
  headers: Readonly<Record<string, string>>;
  body: string;
  timeoutMs: number;
  /** Aborts the attempt from outside (shutdown). */
  signal: AbortSignal;
}

export const USER_AGENT = `mxx/${VERSION}`;

export async function postWebhook(request: WebhookRequest): Promise<AttemptOutcome> {
  const headers = new Headers({ 'content-type': 'application/json', 'user-agent': USER_AGENT });
  try {
    // The job's headers win (Headers.set ignores case): the receiver is theirs.
    for (const [name, value] of Object.entries(request.headers)) headers.set(name, value);
  } catch (error) {
    return { ok: false, retry: false, detail: `a header was refused: ${error instanceof Error ? error.message : String(error)}` };
  }
  const timeout = AbortSignal.timeout(request.timeoutMs);
  let response: Response;
  try {
    response = await fetch(request.url, {
      method: 'POST',
      headers,
      body: request.body,
      // A redirect is answered, not followed: a loop of them can never hold a delivery forever,
      // and the body (and its headers, maybe a token) never goes to a host nobody configured.
      redirect: 'manual',
      signal: AbortSignal.any([timeout, request.signal]),
    });
  } catch (error) {
    if (request.signal.aborted) return { ok: false, retry: false, detail: 'aborted: the server is shutting down' };
    if (timeout.aborted) return { ok: false, retry: true, detail: `timed out after ${seconds(request.timeoutMs)}` };
    const detail = networkError(error);
    // fetch refuses some ports outright (the Fetch standard's "bad ports": 1, 25, 6000, ...).
    if (detail.endsWith('bad port')) return { ok: false, retry: false, detail: `${detail} (fetch never connects to this port), not retried` };
    return { ok: false, retry: true, detail };
  }
  // The answer's body is not wanted; reading it could take as long as the receiver likes.
  void response.body?.cancel().catch(() => undefined);
  const { status } = response;
  if (status >= 200 && status < 300) return { ok: true, retry: false, detail: `HTTP ${status}` };
  if (status >= 300 && status < 400) {
    const location = response.headers.get('location');
    return { ok: false, retry: false, detail: `HTTP ${status}: a redirect${location ? ` to ${shownUrl(location, request.url)}` : ''}, not followed` };
  }
  if (status >= 500) return { ok: false, retry: true, detail: `HTTP ${status}` };
  return { ok: false, retry: false, detail: `HTTP ${status}, not retried` };
}

/** fetch wraps the socket's error in a TypeError("fetch failed"): its cause says what happened. */
function networkError(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  const words: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ECONNRESET: 'connection reset',
    ENOTFOUND: 'host not found',
    EAI_AGAIN: 'host name lookup failed',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
    UND_ERR_SOCKET: 'connection closed by the receiver',
  };
  if (code !== undefined) return `${words[code] ?? 'network error'} (${code})`;
  const message = typeof cause?.message === 'string' ? cause.message : error instanceof Error ? error.message : String(error);
  return `network error: ${message}`;
}

/**
 * A URL as the server log shows it: scheme, host and path, no query, fragment or credentials
 * (a webhook's secret often sits in its query; the path of a chat hook is a secret too, so a
 * target itself is shown by `targetOf`).
 */
export function shownUrl(url: string, base?: string): string {
  try {
    const parsed = new URL(url, base);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return JSON.stringify(url.slice(0, 100));
  }
}

/** The webhook as the server log names it: its origin only (hook paths often are the secret). */
export function targetOf(url: string): string {
  try {
    return `webhook ${new URL(url).origin}`;
  } catch {
    return 'webhook';
  }
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
