import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../../src/main.js';
import { silentLogger } from '../../src/logger.js';
import { createHome, startTestServer, type TestServer } from '../_server.js';

/** A raw request, so the Host header can be anything (fetch will not let us set it). */
function raw(url: string, path: string, headers: Record<string, string>, method = 'GET', body?: string): Promise<{ status: number; body: any }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path: `/api/scheduler${path}`, method, headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

describe('API security on loopback', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.dispose();
  });

  it('refuses a Host that is not a loopback name (DNS rebinding)', async () => {
    const evil = await raw(server.url, '/health', { host: 'evil.example.com' });
    expect(evil.status).toBe(403);
    expect(evil.body.code).toBe('FORBIDDEN_ORIGIN');
    expect((await raw(server.url, '/health', { host: `localhost:${server.port}` })).status).toBe(200);
    expect((await raw(server.url, '/health', { host: `127.0.0.1:${server.port}` })).status).toBe(200);
  });

  it('refuses requests from a foreign web page origin', async () => {
    const foreign = await server.call('/jobs', { headers: { origin: 'https://attacker.example' } });
    expect(foreign.status).toBe(403);
    const trigger = await server.call('/health', { headers: { origin: 'null' } });
    expect(trigger.status).toBe(403);
    const local = await server.call('/jobs', { headers: { origin: `http://localhost:${server.port}` } });
    expect(local.status).toBe(200);
  });

  it('requires JSON bodies (415), limits their size (413) and rejects malformed JSON (400)', async () => {
    const form = await server.api('/jobs', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'job_id=x',
    });
    expect(form.status).toBe(415);
    expect(((await form.json()) as any).code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const text = await server.api('/jobs', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' });
    expect(text.status).toBe(415);
    const huge = await server.api('/jobs', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ job_id: 'big', config: { os: { cmd: 'x'.repeat(1_100_000) } } }),
    });
    expect(huge.status).toBe(413);
    const malformed = await server.api('/jobs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"job_id": ' });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as any).error).toMatch(/not valid JSON/);
    const notObject = await server.call('/jobs', { method: 'POST', json: [1, 2] });
    expect(notObject.status).toBe(400);
  });

  it('accepts a body-less POST (the original client sends none)', async () => {
    await server.call('/jobs', { method: 'POST', json: { job_id: 'nobody', config: { os: { cmd: 'true' } } } });
    const response = await server.api('/jobs/nobody/trigger', { method: 'POST' });
    expect(response.status).toBe(200);
  });

  it('validates ids before touching paths', async () => {
    const dots = await server.call('/jobs/..%2F..%2Fetc/runs');
    expect([400, 404]).toContain(dots.status);
    const weird = await server.call('/runs/%2E%2E');
    expect([400, 404]).toContain(weird.status);
  });
});

describe('API token', () => {
  it('with a token set, every request needs it', async () => {
    const server = await startTestServer({ token: 's3cret' });
    try {
      const none = await server.call('/health');
      expect(none.status).toBe(401);
      expect(none.body.code).toBe('UNAUTHORIZED');
      expect(none.body.hint).toMatch(/MXX_API_TOKEN/);
      expect((await server.call('/health', { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
      expect((await server.call('/health', { headers: { authorization: 'Bearer s3cret' } })).status).toBe(200);
    } finally {
      await server.dispose();
    }
  });

  it('refuses to bind a non-loopback address without a token, and says how to set one', async () => {
    const home = await createHome();
    await expect(startServer({ host: '0.0.0.0', port: 0, home, logger: silentLogger })).rejects.toThrow(/without an API token/);
    await expect(startServer({ host: '0.0.0.0', port: 0, home, logger: silentLogger })).rejects.toMatchObject({
      hint: expect.stringMatching(/MXX_API_TOKEN/),
    });
  });

  it('fails clearly when the port is busy', async () => {
    const first = await startTestServer();
    try {
      const home = await createHome();
      await expect(startServer({ port: first.port, home, logger: silentLogger })).rejects.toThrow(
        new RegExp(`port ${first.port} .*already in use`),
      );
    } finally {
      await first.dispose();
    }
  });
});
