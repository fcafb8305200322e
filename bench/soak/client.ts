/**
 * The soak's HTTP client. Each call ends in one of four outcomes, which decide what the soak may
 * expect afterwards: `ok` (2xx, acknowledged), `refused` (nothing was changed: connection refused,
 * or a 503 with Retry-After), `rejected` (a definite 4xx answer) or `unknown` (no answer: the server
 * died mid-request, or a 5xx that is no refusal; the change may or may not have happened).
 */
import { Agent, request } from 'node:http';

// Few sockets: the server's fd count is sampled, and it should not swing with our connection pool.
const agent = new Agent({ keepAlive: true, maxSockets: 4 });

export type Outcome =
  | { kind: 'ok'; status: number; body: unknown }
  | { kind: 'refused'; status: number | null; reason: string }
  | { kind: 'rejected'; status: number; body: unknown }
  | { kind: 'unknown'; status: number | null; reason: string };

export interface Answer {
  at: number;
  method: string;
  path: string;
  status: number;
  code: string | null;
  retryAfter: string | null;
  error: string | null;
}

/** Every non-2xx answer, for the api-answers invariant. */
export const oddAnswers: Answer[] = [];
export const answerCounts = new Map<string, number>();

function count(key: string): void {
  answerCounts.set(key, (answerCounts.get(key) ?? 0) + 1);
}

export function send(base: string, method: string, path: string, body?: unknown, timeoutMs = 15_000): Promise<Outcome> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve) => {
    const req = request(
      `${base}${path}`,
      {
        method,
        agent,
        timeout: timeoutMs,
        headers: payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (error) => resolve({ kind: 'unknown', status: res.statusCode ?? null, reason: `answer cut off: ${error.message}` }));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // keep the text
          }
          count(String(status));
          if (status >= 200 && status < 300) {
            resolve({ kind: 'ok', status, body: parsed });
            return;
          }
          const info = (parsed ?? {}) as { code?: unknown; error?: unknown };
          const retryAfter = res.headers['retry-after'] ?? null;
          oddAnswers.push({
            at: Date.now(),
            method,
            path,
            status,
            code: typeof info.code === 'string' ? info.code : null,
            retryAfter: typeof retryAfter === 'string' ? retryAfter : null,
            error: typeof info.error === 'string' ? info.error.slice(0, 300) : text.slice(0, 300),
          });
          if (status === 503) resolve({ kind: 'refused', status, reason: `503 ${typeof info.code === 'string' ? info.code : ''}` });
          else if (status >= 400 && status < 500) resolve({ kind: 'rejected', status, body: parsed });
          else resolve({ kind: 'unknown', status, reason: `answered ${status}` });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED') {
        count('refused');
        resolve({ kind: 'refused', status: null, reason: 'connection refused' });
      } else {
        count('no answer');
        resolve({ kind: 'unknown', status: null, reason: error.message });
      }
    });
    req.end(payload);
  });
}

export function closeClient(): void {
  agent.destroy();
}
