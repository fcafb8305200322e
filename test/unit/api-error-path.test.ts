/**
 * The API's one error path (createErrorHandler as h3's onError): a guard refusal, a route's throw
 * and the unknown-path fallback give the same `{error, code, hint?}` body; a 503 carries
 * Retry-After; anything that is not an MxxError is INTERNAL, logged once with its stack. In-process
 * through `app.fetch`, with a stand-in supervisor whose every method throws: only the error path is
 * under test here.
 */
import { PassThrough } from 'node:stream';
import { HTTPError } from 'h3';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/api/app.js';
import { MxxError } from '../../src/errors.js';
import { createLogger } from '../../src/logger.js';
import type { Supervisor } from '../../src/supervisor/index.js';

/** `fail` stands for every supervisor method a route may call (whatever its name); `on` subscribes nothing. */
function setUp(fail: () => unknown, debug = false) {
  const stream = new PassThrough();
  let logs = '';
  stream.on('data', (chunk: Buffer) => (logs += chunk.toString()));
  const supervisor = new Proxy({}, { get: (_target, key) => (key === 'on' ? () => supervisor : fail) }) as Supervisor;
  const app = createApp(supervisor, { logger: createLogger({ stream }), loopbackOnly: true, ownPort: () => 5000, debug });
  const call = async (path: string, host = '127.0.0.1:5000') => {
    const response = await app.fetch(new Request(`http://127.0.0.1:5000${path}`, { headers: { host } }));
    return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
  };
  return { call, logs: () => logs };
}

const throwing = (error: unknown) => () => {
  throw error;
};

describe('the API error path', () => {
  it('answers a route, a guard and the fallback with the same body shape', async () => {
    const { call, logs } = setUp(throwing(new MxxError('RUN_NOT_FOUND', 'run `r1` does not exist', { hint: 'list runs' })));
    const route = await call('/api/scheduler/runs/r1');
    expect(route).toMatchObject({ status: 404, body: { error: 'run `r1` does not exist', code: 'RUN_NOT_FOUND', hint: 'list runs' } });
    const guard = await call('/api/scheduler/runs/r1', 'evil.example:5000');
    expect(guard.status).toBe(403);
    expect(Object.keys(guard.body).sort()).toEqual(['code', 'error', 'hint']);
    expect(guard.body.code).toBe('FORBIDDEN_ORIGIN');
    const fallback = await call('/nowhere');
    expect(fallback.status).toBe(404);
    expect(Object.keys(fallback.body).sort()).toEqual(['code', 'error', 'hint']);
    expect(fallback.body.code).toBe('NOT_FOUND');
    const undecodable = await call('/nowhere%zz');
    expect(undecodable).toMatchObject({ status: 400, body: { code: 'INVALID_REQUEST' } });
    for (const answer of [route, guard, fallback, undecodable]) expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    expect(logs()).toBe('');
  });

  it('sends Retry-After with every 503', async () => {
    const { call } = setUp(throwing(new MxxError('STORAGE_UNAVAILABLE', 'could not save the registry')));
    const answer = await call('/api/scheduler/runs/r1');
    expect(answer.status).toBe(503);
    expect(answer.body.code).toBe('STORAGE_UNAVAILABLE');
    expect(answer.headers.get('retry-after')).toMatch(/^\d+$/);
    const notFound = await call('/nowhere');
    expect(notFound.headers.get('retry-after')).toBeNull();
  });

  it("turns h3's own refusal into the MxxError for its status", async () => {
    const { call, logs } = setUp(throwing(new HTTPError({ status: 400, message: 'Bad Request' })));
    const answer = await call('/api/scheduler/runs/r1');
    expect(answer).toMatchObject({ status: 400, body: { code: 'INVALID_REQUEST', error: 'the request is malformed: Bad Request' } });
    expect(logs()).toBe('');
  });

  it('logs anything else once, with its stack, and answers INTERNAL without it', async () => {
    const { call, logs } = setUp(throwing(new TypeError('boom: a bug')));
    const answer = await call('/api/scheduler/runs/r1');
    expect(answer).toEqual({ status: 500, headers: answer.headers, body: { error: 'internal server error', code: 'INTERNAL' } });
    expect(logs().match(/internal error while answering a request/g)).toHaveLength(1);
    expect(logs()).toMatch(/TypeError: boom: a bug\n\s+at /);
  });

  it('shows the stack in the answer only under --debug', async () => {
    const { call } = setUp(throwing(new TypeError('boom: a bug')), true);
    const answer = await call('/api/scheduler/runs/r1');
    expect(answer.body).toMatchObject({ error: 'internal server error', code: 'INTERNAL' });
    expect(answer.body.stack).toMatch(/TypeError: boom: a bug\n\s+at /);
  });
});
