/**
 * The tests' shared kit: a real server on port 0 with its own temporary home (API and e2e tests),
 * the one polling helper (`waitFor`) and the error-expecting helpers. Cheap to import: the server
 * modules load only when a test starts a server.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, expect } from 'vitest';
import { isMxxError, type ErrorCode, type MxxError } from '../src/errors.js';
import { createLogger } from '../src/logger.js';
import type { RunningServer, StartOptions } from '../src/main.js';

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

export interface TestServerOptions extends StartOptions {
  /** Job files written into a new home's jobs folder. */
  files?: Record<string, string>;
  /** Use this home instead of a new one. */
  home?: string;
  /**
   * The test provokes internal errors on purpose: the check that fails a test when the server
   * logged one (see `internalErrorsIn`) skips this server. @default false
   */
  expectInternalErrors?: boolean;
}

/** Log lines that mean a bug in the server, not a result: each fails the test it happened in. */
const INTERNAL_ERROR_LINE = /^\S+ ERROR +(?:internal error while answering a request|.*\b(?:uncaught|unhandled)\b).*$/gm;

/** The internal-error lines of a server log. */
export function internalErrorsIn(logText: string): string[] {
  return logText.match(INTERNAL_ERROR_LINE) ?? [];
}

interface Watched {
  logs(): string;
  checked: number;
}
/** Servers started in this test file whose logs are checked after every test. */
const watched: Watched[] = [];

// Registered once per test file that imports this module (at collection, so it is the file's root
// hook): a server that logged an internal error during a test fails that test, even when the
// response the test looked at seemed fine.
afterEach(() => {
  const found: string[] = [];
  for (const server of watched) {
    const text = server.logs();
    found.push(...internalErrorsIn(text.slice(server.checked)));
    server.checked = text.length;
  }
  if (found.length > 0) throw new Error(`the server logged ${found.length} internal error(s):\n${found.join('\n')}`);
});

export async function createHome(files: Record<string, string> = {}): Promise<string> {
  const home = await mkdtemp(join(tmpdir(), 'mxx-test-'));
  await mkdir(join(home, 'jobs'), { recursive: true });
  for (const [name, text] of Object.entries(files)) await writeFile(join(home, 'jobs', name), text);
  return home;
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const { startServer } = await import('../src/main.js');
  const home = options.home ?? (await createHome(options.files));
  const stream = new PassThrough();
  let logText = '';
  stream.on('data', (chunk: Buffer) => (logText += chunk.toString()));
  const { files: _files, expectInternalErrors = false, ...startOptions } = options;
  const server = await startServer({
    port: 0,
    host: '127.0.0.1',
    logger: createLogger({ level: 'debug', stream }),
    threads: 1,
    ...startOptions,
    home,
    jobsDir: options.jobsDir ?? join(home, 'jobs'),
  });
  if (!expectInternalErrors) watched.push({ logs: () => logText, checked: 0 });
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

/**
 * Polls `check` every `everyMs` until it returns a truthy value, and returns that value; throws
 * (naming `what`) if it still has not after `timeoutMs`. The one polling helper of the tests.
 */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  timeoutMs = 10_000,
  what = 'condition',
  everyMs = 25,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(everyMs);
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

function checkMxxError(error: unknown, code: ErrorCode): MxxError {
  expect(isMxxError(error), `expected an MxxError ${code}, got ${String(error)}`).toBe(true);
  expect((error as MxxError).code, (error as MxxError).message).toBe(code);
  return error as MxxError;
}

/**
 * Expects `fn` to throw (or `promise`/`fn`'s promise to reject with) an MxxError with `code`, and
 * returns it for further checks; fails the test if it succeeds or throws anything else.
 */
export function expectMxxError(promise: Promise<unknown>, code: ErrorCode): Promise<MxxError>;
export function expectMxxError(fn: () => Promise<unknown>, code: ErrorCode): Promise<MxxError>;
export function expectMxxError(fn: () => unknown, code: ErrorCode): MxxError;
export function expectMxxError(subject: Promise<unknown> | (() => unknown), code: ErrorCode): MxxError | Promise<MxxError> {
  const settle = (promise: Promise<unknown>): Promise<MxxError> =>
    promise.then(
      () => {
        throw new Error(`expected an MxxError ${code}, but it resolved`);
      },
      (error: unknown) => checkMxxError(error, code),
    );
  if (typeof subject !== 'function') return settle(subject);
  let returned: unknown;
  try {
    returned = subject();
  } catch (error) {
    return checkMxxError(error, code);
  }
  if (returned instanceof Promise) return settle(returned);
  throw new Error(`expected an MxxError ${code}, but it returned`);
}

/**
 * Expects an API error answer: `status` and a body `{error, code}` (from `server.call`, or a raw
 * Response whose body is read here). Returns the body for further checks.
 */
export async function expectApiError(
  answer: Response | { status: number; body: any },
  status: number,
  code: ErrorCode,
): Promise<{ error: string; code: ErrorCode; hint?: string; details?: unknown }> {
  const body = answer instanceof Response ? await answer.json() : answer.body;
  expect({ status: answer.status, code: body?.code }, JSON.stringify(body)).toEqual({ status, code });
  expect(typeof body.error).toBe('string');
  return body;
}
