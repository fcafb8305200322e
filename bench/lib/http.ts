/** A small keep-alive HTTP client for the API (node:http: less overhead per call than fetch). */
import { Agent, request } from 'node:http';

const agent = new Agent({ keepAlive: true, maxSockets: 256 });

export interface HttpAnswer<T = unknown> {
  status: number;
  body: T;
  /** Round trip in ms. */
  ms: number;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    what: string,
  ) {
    super(`${what} answered ${status}: ${JSON.stringify(body).slice(0, 300)}`);
  }
}

export function call<T = unknown>(method: string, url: string, body?: unknown, timeoutMs = 30_000): Promise<HttpAnswer<T>> {
  const started = performance.now();
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        agent,
        headers: payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {},
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          if ((res.headers['content-type'] ?? '').includes('json')) {
            try {
              parsed = JSON.parse(text);
            } catch {
              // keep the text
            }
          }
          resolve({ status: res.statusCode ?? 0, body: parsed as T, ms: performance.now() - started });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** Like call, but throws HttpError unless the status is 2xx. */
export async function callOk<T = unknown>(method: string, url: string, body?: unknown, timeoutMs?: number): Promise<HttpAnswer<T>> {
  const answer = await call<T>(method, url, body, timeoutMs);
  if (answer.status < 200 || answer.status > 299) throw new HttpError(answer.status, answer.body, `${method} ${url}`);
  return answer;
}

/** Runs `task(i)` for i in [0, count) with at most `inFlight` at once. */
export async function inParallel(count: number, inFlight: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(inFlight, count) }, async () => {
    while (next < count) await task(next++);
  });
  await Promise.all(lanes);
}

export function closeHttpAgent(): void {
  agent.destroy();
}
