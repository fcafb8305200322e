/** Small HTTP helpers: JSON answers, the one error path, and a size-limited JSON body reader. */
import type { H3Event } from 'h3';
import { HTTPError } from 'h3';
import { MxxError, isMxxError } from '../errors.js';
import type { Logger } from '../logger.js';

/** @default 1 MiB */
export const BODY_LIMIT_BYTES = 1024 * 1024;

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' };

export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: JSON_HEADERS });
}

/** Already-serialized JSON. */
export function jsonText(body: string | Uint8Array, status = 200): Response {
  return new Response(body, { status, headers: JSON_HEADERS });
}

/** Seconds a client should wait before retrying a 503 (starting, storage or subscriber limits). */
export const RETRY_AFTER_SECONDS = 1;

/**
 * The API's answer for an MxxError: its status, the body `{error, code, hint?, details?}` (plus
 * `extra` fields: /health's while starting, the stack of an internal error under --debug) and, on
 * a 503, Retry-After. Every error answer of the API is made here.
 */
export function errorAnswer(error: MxxError, extra?: Record<string, unknown>): Response {
  const response = json(extra === undefined ? error.toJSON() : { ...extra, ...error.toJSON() }, error.status);
  if (error.status === 503) response.headers.set('retry-after', String(RETRY_AFTER_SECONDS));
  return response;
}

/**
 * The one error path, as h3's `onError` hook: whatever a guard, a route or the fallback threw. An
 * MxxError is answered as it is, h3's own refusals (a malformed URL) as the MxxError for their
 * status; anything else is a bug: logged once with its stack, answered 500 INTERNAL (with the stack
 * only under --debug).
 */
export function createErrorHandler(logger: Logger, debug: boolean): (thrown: unknown) => Response {
  return (thrown) => {
    const error = fromH3Error(thrown);
    if (isMxxError(error)) return errorAnswer(error);
    logger.error('internal error while answering a request', { error });
    const internal = new MxxError('INTERNAL', 'internal server error');
    return errorAnswer(internal, debug && error instanceof Error ? { stack: error.stack } : undefined);
  };
}

/**
 * What reaches h3's onError hook, unwrapped: h3 wraps whatever a handler throws in an HTTPError
 * marked `unhandled`, with the thrown value as its cause; a request h3 itself refused becomes the
 * MxxError for its status. (Passing `error.cause` on blindly logged h3's options object as
 * "[object Object]".)
 */
function fromH3Error(error: unknown): unknown {
  if (!HTTPError.isError(error)) return error;
  if (error.unhandled) return error.cause ?? error;
  if (error.status === 404) return new MxxError('NOT_FOUND', `no such endpoint: ${error.message}`);
  if (error.status >= 400 && error.status < 500) return new MxxError('INVALID_REQUEST', `the request is malformed: ${error.message}`);
  return error;
}

export function isJsonContentType(value: string | null): boolean {
  if (!value) return false;
  const type = value.split(';', 1)[0]!.trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

/** Reads the body as JSON: 415 unless JSON, 413 past the limit, 400 when malformed or empty. */
export async function readJsonBody(event: H3Event, limit = BODY_LIMIT_BYTES): Promise<unknown> {
  const request = event.req;
  if (!isJsonContentType(request.headers.get('content-type'))) {
    throw new MxxError('UNSUPPORTED_MEDIA_TYPE', 'the request body must be JSON', {
      hint: 'send the header Content-Type: application/json',
    });
  }
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (declared > limit) throw tooLarge(limit);
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (request.body) {
    const reader = request.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge(limit);
      }
      chunks.push(value);
    }
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw new MxxError('INVALID_REQUEST', 'the request body is empty; a JSON object was expected');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new MxxError('INVALID_REQUEST', `the request body is not valid JSON: ${(error as Error).message}`);
  }
}

function tooLarge(limit: number): MxxError {
  return new MxxError('BODY_TOO_LARGE', `the request body is larger than ${limit} bytes`);
}

export function requireObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MxxError('INVALID_REQUEST', `${what} must be a JSON object`);
  }
  return value as Record<string, unknown>;
}
