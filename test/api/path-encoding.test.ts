import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectApiError, internalErrorsIn, startTestServer, type TestServer } from '../_server.js';

/** A raw request: the path goes on the wire byte for byte, as a client that sends bad escapes would. */
function raw(url: string, method: string, path: string): Promise<{ status: number; body: any }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, method, path: `/api/scheduler${path}` }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Every route with a path parameter, and the name its message must give. */
const ROUTES: Array<[method: string, path: (id: string) => string, names: RegExp]> = [
  ['GET', (id) => `/jobs/${id}`, /job id/],
  ['DELETE', (id) => `/jobs/${id}`, /job id/],
  ['POST', (id) => `/jobs/${id}/resume`, /job id/],
  ['POST', (id) => `/jobs/${id}/remove`, /job id/],
  ['POST', (id) => `/jobs/${id}/trigger`, /job id/],
  ['POST', (id) => `/jobs/${id}/stop`, /job id/],
  ['GET', (id) => `/jobs/${id}/runs`, /job id/],
  ['GET', (id) => `/jobs/${id}/next`, /job id/],
  ['GET', (id) => `/runs/${id}`, /run id/],
  ['GET', (id) => `/runs/${id}/log`, /run id/],
  ['GET', (id) => `/runs/${id}/log?follow=true`, /run id/],
  ['GET', (id) => `/registry/${id}`, /job id/],
  ['DELETE', (id) => `/registry/${id}`, /job id/],
];

const BAD = ['%ff', '%', '%zz', 'a%E0%A4%A', 'ok%2'];

describe('undecodable percent-encoding in a path', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.dispose();
  });

  it('answers 400 INVALID_REQUEST naming the parameter on every route with one', async () => {
    for (const [method, path, names] of ROUTES) {
      for (const bad of BAD) {
        const { status, body } = await raw(server.url, method, path(bad));
        const what = `${method} ${path(bad)}`;
        expect(status, what).toBe(400);
        expect(body.code, what).toBe('INVALID_REQUEST');
        expect(body.error, what).toMatch(names);
        expect(body.error, what).toMatch(/percent-encoding/);
        expect(body.error, what).toContain(bad);
      }
    }
    expect(server.logs()).not.toMatch(/internal error|\[object Object\]/);
  });

  it('answers 400 for an undecodable path that matches no route, and still 404 for a well-formed one', async () => {
    const bad = await raw(server.url, 'GET', '/nowhere%zz');
    await expectApiError(bad, 400, 'INVALID_REQUEST');
    expect(bad.body.error).toMatch(/percent-encoding/);
    const unknown = await raw(server.url, 'GET', '/nowhere%41');
    await expectApiError(unknown, 404, 'NOT_FOUND');
    expect(server.logs()).not.toMatch(/internal error|\[object Object\]/);
  });

  it('still decodes good escapes and keeps an encoded slash out of an id', async () => {
    await server.call('/jobs', { method: 'POST', json: { job_id: 'a.b', config: { os: { cmd: 'true' } } } });
    expect((await raw(server.url, 'GET', '/jobs/a%2Eb')).status).toBe(200);
    const slash = await raw(server.url, 'GET', '/jobs/a%2Fb');
    expect(slash.status).toBe(400);
    expect(slash.body.error).toMatch(/job id/);
  });
});

describe('an unexpected error while answering', () => {
  let server: TestServer;
  beforeAll(async () => {
    // These tests make the server fail on purpose: its internal errors do not fail them.
    server = await startTestServer({ expectInternalErrors: true });
  });
  afterAll(async () => {
    await server.dispose();
  });

  it('is logged once with its message and stack, and answers 500 INTERNAL without the stack', async () => {
    const supervisor = server.supervisor as unknown as { run: (id: string) => unknown };
    supervisor.run = () => {
      throw new TypeError('boom: a bug in supervisor.run');
    };
    const { status, body } = await server.call('/runs/some-run');
    expect(status).toBe(500);
    expect(body).toEqual({ error: 'internal server error', code: 'INTERNAL' });
    const logs = server.logs();
    expect(logs.match(/boom: a bug in supervisor.run/g)).toHaveLength(1);
    // The line the after-each check of test/_server.ts looks for (it fails any other test that logs it).
    expect(internalErrorsIn(logs)).toEqual([expect.stringMatching(/ERROR internal error while answering a request/)]);
    expect(logs).toMatch(/ERROR .*TypeError: boom: a bug in supervisor.run\n\s+at /);
    expect(logs).not.toMatch(/\[object Object\]/);
  });

  it('that is not an Error is logged readably, not as [object Object]', async () => {
    const supervisor = server.supervisor as unknown as { run: (id: string) => unknown };
    supervisor.run = () => {
      // eslint-disable-next-line @typescript-eslint/only-throw-error
      throw { reason: 'thrown plain object' };
    };
    const { status } = await server.call('/runs/other-run');
    expect(status).toBe(500);
    expect(server.logs()).toMatch(/thrown plain object/);
    expect(server.logs()).not.toMatch(/\[object Object\]/);
  });
});
