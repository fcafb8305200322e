/** A real server on port 0 with its own temporary home, for API and e2e tests. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { createLogger } from '../src/logger.js';
import { startServer, type RunningServer, type StartOptions } from '../src/main.js';

export interface TestServer extends RunningServer {
  home: string;
  jobsDir: string;
  /** Everything the server logged. */
  logs(): string;
  /** fetch relative to /api/scheduler; JSON-encodes `json` bodies. */
  api(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  /** api() + parse the JSON answer. */
  call<T = any>(path: string, init?: RequestInit & { json?: unknown }): Promise<{ status: number; body: T }>;
  /** Stops the server (if still running) and removes the home. */
  dispose(): Promise<void>;
}

export async function createHome(files: Record<string, string> = {}): Promise<string> {
  const home = await mkdtemp(join(tmpdir(), 'mxx-test-'));
  await mkdir(join(home, 'jobs'), { recursive: true });
  for (const [name, text] of Object.entries(files)) await writeFile(join(home, 'jobs', name), text);
  return home;
}

export async function startTestServer(
  options: StartOptions & { files?: Record<string, string>; home?: string } = {},
): Promise<TestServer> {
  const home = options.home ?? (await createHome(options.files));
  const stream = new PassThrough();
  let logText = '';
  stream.on('data', (chunk: Buffer) => (logText += chunk.toString()));
  const { files: _files, ...startOptions } = options;
  const server = await startServer({
    port: 0,
    host: '127.0.0.1',
    logger: createLogger({ level: 'debug', stream }),
    threads: 1,
    ...startOptions,
    home,
    jobsDir: options.jobsDir ?? join(home, 'jobs'),
  });
  const api = (path: string, init: RequestInit & { json?: unknown } = {}): Promise<Response> => {
    const { json, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (json !== undefined) headers.set('content-type', 'application/json');
    return fetch(`${server.url}/api/scheduler${path}`, {
      ...rest,
      headers,
      ...(json === undefined ? {} : { body: JSON.stringify(json) }),
    });
  };
  return {
    ...server,
    home,
    jobsDir: options.jobsDir ?? join(home, 'jobs'),
    logs: () => logText,
    api,
    async call(path, init) {
      const response = await api(path, init);
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined };
    },
    async dispose() {
      await server.close();
      await rm(home, { recursive: true, force: true });
    },
  };
}

/** Polls `check` until it returns a truthy value (or throws after `timeoutMs`). */
export async function waitFor<T>(check: () => T | Promise<T>, timeoutMs = 10_000, what = 'condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(25);
  }
}

/** Waits until a run reaches a final state and returns its record. */
export async function waitForRun(server: TestServer, runId: string, timeoutMs = 15_000): Promise<any> {
  return waitFor(
    async () => {
      const { status, body } = await server.call(`/runs/${runId}`);
      return status === 200 && !['running', 'queued'].includes(body.status) ? body : null;
    },
    timeoutMs,
    `run ${runId} to end`,
  );
}
