import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../../src/main.js';
import { createTempHome, startServerProcess } from '../_cli.js';
import { silentLogger } from '../../src/logger.js';
import { createHome, expectApiError, startTestServer, type TestServer } from '../_server.js';

/** A raw request, so the Host header can be anything (fetch will not let us set it). */
function raw(url: string, path: string, headers: Record<string, string>, method = 'GET', body?: string): Promise<{ status: number; body: any }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      { hostname: hostname.replace(/^\[|\]$/g, ''), port, path: `/api/scheduler${path}`, method, headers, setHost: !('host' in headers) },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
      },
    );
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** The spellings of issue #10, item 5. */
const LOOPBACK_BINDS = ['localhost', 'LOCALHOST', 'localhost.', '127.0.0.1', '127.1', '::1', '[::1]', '::ffff:127.0.0.1', '0:0:0:0:0:0:0:1'];
const LONG_TOKEN = '0123456789abcdef0123';
const PWN = JSON.stringify({ job_id: 'pwn', config: { os: { cmd: 'id > /tmp/x' } } });

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
    await expectApiError(evil, 403, 'FORBIDDEN_ORIGIN');
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
      await expectApiError(none, 401, 'UNAUTHORIZED');
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

describe('DNS rebinding: one loopback rule for the bind, the token and the Host (issue #10, item 5)', () => {
  it('a server on --host LOCALHOST refuses the issue\'s rebinding request and registers nothing', async () => {
    const server = await startTestServer({ host: 'LOCALHOST' });
    try {
      const evil = `rebind.evil.com:${server.port}`;
      const headers = { host: evil, origin: `http://${evil}`, 'content-type': 'application/json' };
      const post = await raw(server.url, '/jobs', headers, 'POST', PWN);
      await expectApiError(post, 403, 'FORBIDDEN_ORIGIN');
      expect((await raw(server.url, '/jobs/pwn/trigger', headers, 'POST')).status).toBe(403);
      expect((await server.call('/jobs/pwn')).status).toBe(404);
    } finally {
      await server.dispose();
    }
  });

  it.each(LOOPBACK_BINDS)('bound to %s: starts without a token and refuses a foreign Host', async (host) => {
    const server = await startTestServer({ host });
    try {
      expect(server.supervisor.jobCount).toBe(0);
      const evil = await raw(server.url, '/health', { host: `rebind.evil.com:${server.port}` });
      expect(evil.status).toBe(403);
      expect(evil.body.error).toContain('rebind.evil.com');
      expect((await raw(server.url, '/health', { host: `localhost:${server.port}` })).status).toBe(200);
    } finally {
      await server.dispose();
    }
  });

  it('bound to all interfaces (with a token), a foreign Host is not refused: the token is the protection there', async () => {
    const server = await startTestServer({ host: '0.0.0.0', token: LONG_TOKEN });
    try {
      const url = `http://127.0.0.1:${server.port}`;
      const auth = { authorization: `Bearer ${LONG_TOKEN}` };
      expect((await raw(url, '/health', { host: `server.lan:${server.port}` })).status).toBe(401);
      expect((await raw(url, '/health', { ...auth, host: `server.lan:${server.port}` })).status).toBe(200);
    } finally {
      await server.dispose();
    }
  });
});

describe('the Host header must be a loopback host[:port] (issue #10, items 5 and 7)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.dispose();
  });

  const loopbackHosts = ['localhost', 'LOCALHOST', 'localhost.', '127.0.0.1', '127.1', '[::1]', '[::ffff:127.0.0.1]', '[0:0:0:0:0:0:0:1]'];
  it.each(loopbackHosts)('accepts Host %s with and without the port', async (host) => {
    expect((await raw(server.url, '/health', { host })).status).toBe(200);
    expect((await raw(server.url, '/health', { host: `${host}:${server.port}` })).status).toBe(200);
  });

  it.each(['evil.localhost', `evil.localhost:${5000}`, 'rebind.evil.com', '10.0.0.1:5000', '[::2]'])(
    'refuses the non-loopback Host %s with 403',
    async (host) => {
      const answer = await raw(server.url, '/health', { host });
      await expectApiError(answer, 403, 'FORBIDDEN_ORIGIN');
    },
  );

  // 400, not 403: RFC 9112 §3.2 says a request with an invalid Host is a bad request, whoever sends it.
  it.each([
    ['userinfo', () => `127.0.0.1:${server.port}@evil.com`],
    ['userinfo before the host', () => `evil.com@127.0.0.1:${server.port}`],
    ['a path', () => `127.0.0.1:${server.port}/x`],
    ['a space', () => `127.0.0.1 :${server.port}`],
    ['an empty value', () => ''],
    ['an empty port', () => '127.0.0.1:'],
    ['a non-numeric port', () => 'localhost:http'],
    ['a port above 65535', () => 'localhost:65536'],
    ['two ports', () => `localhost:${server.port}:${server.port}`],
    ['an unclosed bracket', () => '[::1'],
    ['an IPv6 address without brackets', () => '::1'],
    ['an IPv6 address without brackets (mapped)', () => '::ffff:127.0.0.1'],
    ['an IPv6 address without brackets (long form)', () => '0:0:0:0:0:0:0:1'],
    ['a bracketed name', () => '[localhost]'],
  ])('refuses a Host with %s with 400 INVALID_REQUEST', async (_what, host) => {
    const value = host();
    const answer = await raw(server.url, '/health', { host: value });
    await expectApiError(answer, 400, 'INVALID_REQUEST');
    expect(answer.body.error).toContain(`Host header ${JSON.stringify(value)}`);
  });

  it('refuses a malformed Host on a token server as well, before the token', async () => {
    const open = await startTestServer({ host: '0.0.0.0', token: LONG_TOKEN });
    try {
      const url = `http://127.0.0.1:${open.port}`;
      const answer = await raw(url, '/health', { host: `127.0.0.1:${open.port}@evil.com`, authorization: `Bearer ${LONG_TOKEN}` });
      await expectApiError(answer, 400, 'INVALID_REQUEST');
    } finally {
      await open.dispose();
    }
  });
});

describe('Origin: only the server\'s own and --allow-origin ones (issue #10, item 6)', () => {
  let server: TestServer;
  let otherPort: number;
  beforeAll(async () => {
    server = await startTestServer();
    otherPort = server.port === 3000 ? 3001 : 3000;
  });
  afterAll(async () => {
    await server.dispose();
  });

  const own = ['localhost', 'LOCALHOST', 'localhost.', '127.0.0.1', '127.1', '[::1]', '[::ffff:127.0.0.1]', '[0:0:0:0:0:0:0:1]'];
  it.each(own)('trusts its own origin http://%s:<port>', async (host) => {
    const answer = await server.call('/jobs', { headers: { origin: `http://${host}:${server.port}` } });
    expect(answer.status).toBe(200);
  });

  it.each([
    ['a loopback page on another port', () => `http://localhost:${otherPort}`],
    ['127.0.0.1 on another port', () => `http://127.0.0.1:${otherPort}`],
    ['a *.localhost page', () => `http://evil.localhost:${server.port}`],
    ['https on the same port', () => `https://localhost:${server.port}`],
    ['the default port 80', () => 'http://localhost'],
    ['a rebinding name', () => `http://rebind.evil.com:${server.port}`],
    ['null', () => 'null'],
    ['not a URL', () => `localhost:${server.port}`],
  ])('refuses %s: registers and triggers nothing', async (_what, origin) => {
    const value = origin();
    const post = await server.call('/jobs', { method: 'POST', headers: { origin: value }, json: { job_id: 'pwn', config: { os: { cmd: 'true' } } } });
    await expectApiError(post, 403, 'FORBIDDEN_ORIGIN');
    expect(post.body.error).toContain(value);
    expect(post.body.hint).toMatch(/--allow-origin/);
    expect((await server.call('/jobs/pwn')).status).toBe(404);
  });

  it('--allow-origin adds exactly the origins given', async () => {
    const allowed = await startTestServer({ allowOrigins: ['http://localhost:3000', 'https://ops.example.com'] });
    try {
      const from = (origin: string) => allowed.call('/jobs', { headers: { origin } });
      expect((await from('http://localhost:3000')).status).toBe(200);
      expect((await from('https://ops.example.com')).status).toBe(200);
      expect((await from(`http://localhost:${allowed.port}`)).status).toBe(200);
      expect((await from('http://localhost:3001')).status).toBe(403);
      expect((await from('http://ops.example.com')).status).toBe(403);
      expect((await from('https://ops.example.com:8443')).status).toBe(403);
    } finally {
      await allowed.dispose();
    }
  });

  it('refuses to start with an --allow-origin that is not an origin', async () => {
    const home = await createHome();
    await expect(startServer({ port: 0, home, logger: silentLogger, allowOrigins: ['localhost:3000'] })).rejects.toThrow(
      /--allow-origin "localhost:3000" is not a web origin/,
    );
  });

  it('mxx server takes --allow-origin more than once, and MXX_ALLOW_ORIGINS', async () => {
    const home = await createTempHome();
    const s = await startServerProcess(home, { args: ['--allow-origin', 'http://localhost:3000', '--allow-origin', 'http://localhost:3002'] });
    const e = await startServerProcess({ ...home, env: { ...home.env, MXX_HOME: `${home.dir}/other`, MXX_ALLOW_ORIGINS: 'http://localhost:3003' } });
    try {
      const from = (url: string, origin: string) => fetch(`${url}/api/scheduler/health`, { headers: { origin } }).then((r) => r.status);
      expect(await from(s.url, 'http://localhost:3000')).toBe(200);
      expect(await from(s.url, 'http://localhost:3002')).toBe(200);
      expect(await from(s.url, 'http://localhost:3003')).toBe(403);
      expect(await from(e.url, 'http://localhost:3003')).toBe(200);
      expect(await from(e.url, 'http://localhost:3000')).toBe(403);
    } finally {
      await s.stop();
      await e.stop();
      await home.cleanup();
    }
  });
});

describe('API token values (issue #10, item 7)', () => {
  it.each([' ', ''])('refuses to start with the blank token %j, even on loopback', async (token) => {
    const home = await createHome();
    await expect(startServer({ port: 0, home, logger: silentLogger, token })).rejects.toThrow(/--token is blank/);
  });

  it('refuses a token shorter than 16 characters on a non-loopback bind, and says how to make one', async () => {
    const home = await createHome();
    const start = startServer({ host: '0.0.0.0', port: 0, home, logger: silentLogger, token: 's3cret' });
    await expect(start).rejects.toThrow(/at least 16/);
    await expect(start).rejects.toMatchObject({ hint: expect.stringMatching(/openssl rand -hex 16/) });
  });
});
