/** A small HTTP client for the mxx API: error bodies become MxxError, connection failures SERVER_UNREACHABLE. */
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { UsageError } from 'clipanion';
import { ERROR_CODES, MxxError, type ErrorCode } from '../src/errors.js';
import type { ErrorBody } from '../src/api/types.js';

export const DEFAULT_SERVER_URL = 'http://127.0.0.1:5000';
const API_PREFIX = '/api/scheduler';

export interface ClientOptions {
  /** e.g. http://127.0.0.1:5000 */
  server: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Per request, except streams. @default 30000 */
  timeoutMs?: number;
}

/** An array value repeats the parameter (`?job=a&job=b`). */
export type Query = Record<string, string | number | boolean | readonly string[] | undefined>;

export interface StreamOptions {
  /** Extra request headers (e.g. Last-Event-ID). */
  headers?: Record<string, string>;
  /** Aborting ends the stream: its promise then resolves the headers as at a clean end. */
  signal?: AbortSignal;
}

export interface ApiResponse<T> {
  body: T;
  /** The body exactly as the server sent it. */
  text: string;
  status: number;
}

export interface Client {
  readonly server: string;
  get<T>(path: string, query?: Query): Promise<ApiResponse<T>>;
  post<T>(path: string, body?: unknown, query?: Query): Promise<ApiResponse<T>>;
  delete<T>(path: string, query?: Query): Promise<ApiResponse<T>>;
  /** GET a body as bytes, with the answer's headers (logs). */
  raw(path: string, query?: Query): Promise<RawResponse>;
  /** GET a body and hand each chunk to `onChunk` as it arrives (logs --follow, events); resolves the headers at its end. */
  stream(path: string, query: Query, onChunk: (chunk: Uint8Array) => void, options?: StreamOptions): Promise<IncomingHttpHeaders>;
}

export interface RawResponse {
  body: Buffer;
  headers: IncomingHttpHeaders;
}

/** Accepts `host:port` and trailing slashes; throws a UsageError for something that is not an http(s) URL. */
export function normalizeServerUrl(input: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(input) ? input : `http://${input}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new UsageError(`--server ${JSON.stringify(input)} is not a URL (use e.g. http://127.0.0.1:5000)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--server ${input}: only http and https URLs are supported`);
  }
  return url.href.replace(/\/+$/, '');
}

const STATUS_CODES: Record<number, ErrorCode> = {
  400: 'INVALID_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN_ORIGIN',
  404: 'NOT_FOUND',
  409: 'JOB_BUSY',
  413: 'BODY_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
};

function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CODES, code);
}

function errorFromResponse(status: number, statusText: string, text: string): MxxError {
  let body: Partial<ErrorBody> | undefined;
  try {
    body = JSON.parse(text) as Partial<ErrorBody>;
  } catch {
    body = undefined;
  }
  const code = isErrorCode(body?.code) ? body.code : (STATUS_CODES[status] ?? 'INTERNAL');
  const message = typeof body?.error === 'string' ? body.error : `the server answered ${status} ${statusText}`.trim();
  const hint =
    typeof body?.hint === 'string'
      ? body.hint
      : typeof body?.error !== 'string'
        ? 'is --server pointing at an mxx server?'
        : status === 401
          ? "set MXX_API_TOKEN to the server's token"
          : undefined;
  return new MxxError(code, message, { hint, details: body?.details });
}

function unreachable(server: string, error: unknown): MxxError {
  const e = error as { code?: string; message?: string } | undefined;
  const reason = e?.code === 'ETIMEDOUT' ? 'no answer in time' : (e?.code ?? e?.message ?? String(error));
  return new MxxError('SERVER_UNREACHABLE', `cannot reach the mxx server at ${server} (${reason})`, {
    hint: 'start it with: mxx server (or point --server / MXX_SERVER_URL at a running one)',
    cause: error,
  });
}

/**
 * node:http rather than fetch: fetch refuses "bad ports" (6000, 6665-6669, 10080, ...) that a server
 * may well listen on, and reports every failure as a bare "fetch failed".
 */
function request(
  target: string,
  method: string,
  headers: Record<string, string>,
  body: string | undefined,
  timeoutMs: number | undefined,
  signal?: AbortSignal,
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const u = new URL(target);
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(u, { method, headers, ...(signal ? { signal } : {}) }, resolve);
    req.on('error', reject);
    if (timeoutMs !== undefined) {
      req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error('no answer in time'), { code: 'ETIMEDOUT' })));
    }
    req.end(body);
  });
}

async function readAll(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export function createClient(options: ClientOptions): Client {
  const server = normalizeServerUrl(options.server);
  const timeoutMs = options.timeoutMs ?? 30_000;

  function url(path: string, query?: Query): string {
    const u = new URL(`${server}${API_PREFIX}${path}`);
    for (const [k, v] of Object.entries(query ?? {})) {
      if (Array.isArray(v)) for (const item of v as readonly string[]) u.searchParams.append(k, item);
      else if (v !== undefined) u.searchParams.set(k, String(v));
    }
    return u.href;
  }

  async function send(method: string, path: string, query?: Query, body?: unknown, stream?: StreamOptions): Promise<IncomingMessage> {
    const headers: Record<string, string> = { accept: 'application/json, text/plain', ...stream?.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    let res: IncomingMessage;
    try {
      res = await request(url(path, query), method, headers, payload, stream ? undefined : timeoutMs, stream?.signal);
    } catch (error) {
      throw unreachable(server, error);
    }
    const status = res.statusCode ?? 0;
    if (status < 200 || status > 299) throw errorFromResponse(status, res.statusMessage ?? '', await readAll(res));
    return res;
  }

  async function json<T>(method: string, path: string, query?: Query, body?: unknown): Promise<ApiResponse<T>> {
    const res = await send(method, path, query, body);
    const text = await readAll(res);
    try {
      return { body: JSON.parse(text) as T, text, status: res.statusCode ?? 0 };
    } catch {
      throw new MxxError('INTERNAL', `the server at ${server} answered ${method} ${path} with something that is not JSON`, {
        hint: 'is --server pointing at an mxx server?',
      });
    }
  }

  return {
    server,
    get: (path, query) => json('GET', path, query),
    post: (path, body, query) => json('POST', path, query, body ?? {}),
    delete: (path, query) => json('DELETE', path, query),
    async raw(path, query) {
      const res = await send('GET', path, query);
      const chunks: Buffer[] = [];
      for await (const chunk of res) chunks.push(chunk as Buffer);
      return { body: Buffer.concat(chunks), headers: res.headers };
    },
    async stream(path, query, onChunk, streamOptions = {}) {
      const { signal } = streamOptions;
      const res = await send('GET', path, query, undefined, streamOptions);
      try {
        for await (const chunk of res) onChunk(chunk as Buffer);
      } catch (error) {
        if (!signal?.aborted) throw error;
      }
      return res.headers;
    },
  };
}

/** Path segment for an id: ids are validated by the server, but never let one change the path. */
export function seg(id: string): string {
  return encodeURIComponent(id);
}
