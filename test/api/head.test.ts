/**
 * HEAD is answered wherever GET is (RFC 9110 §9.3.2): same status and headers, no body. Monitors
 * and load balancers probe with HEAD; a 404 there reads as "the endpoint is gone".
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../_server.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
  await server.call('/jobs', { method: 'POST', json: { job_id: 'probe', config: { os: { cmd: 'true' } } } });
});
afterAll(() => server.dispose());

/** A raw HEAD request: status, headers and how many body bytes arrived (must be none). */
function head(path: string): Promise<{ status: number; type: string | undefined; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}${path}`, { method: 'HEAD' }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.byteLength));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], bytes }));
    });
    req.setTimeout(5000, () => req.destroy(new Error(`HEAD ${path} did not end within 5 s`)));
    req.on('error', reject);
    req.end();
  });
}

describe('HEAD', () => {
  it.each([
    ['/api/scheduler/health', 'application/json'],
    ['/api/scheduler/jobs', 'application/json'],
    ['/api/scheduler/jobs/probe', 'application/json'],
    ['/api/scheduler/runs', 'application/json'],
    ['/metrics', 'text/plain'],
    ['/api/scheduler/events', 'text/event-stream'],
  ])('%s answers as GET does, without a body', async (path, type) => {
    const answer = await head(path);
    expect(answer.status).toBe(200);
    expect(answer.type).toContain(type);
    expect(answer.bytes).toBe(0);
  });

  it('a followed log of a running run: HEAD ends at once with the headers GET sends', async () => {
    await server.call('/jobs', { method: 'POST', json: { job_id: 'long', config: { os: { cmd: 'echo hi; sleep 30' }, lifetime: { grace: 1 } } } });
    const { body: run } = await server.call('/jobs/long/trigger', { method: 'POST' });
    try {
      const answer = await head(`/api/scheduler/runs/${run.run_id}/log?follow=true`);
      expect(answer.status).toBe(200);
      expect(answer.type).toContain('text/plain');
      expect(answer.bytes).toBe(0);
    } finally {
      await server.call('/jobs/long/stop', { method: 'POST' });
    }
  });

  it('answers 404 for an unknown path and for an unknown job, as GET', async () => {
    expect((await head('/api/scheduler/nope')).status).toBe(404);
    expect((await head('/api/scheduler/jobs/nobody')).status).toBe(404);
  });
});
