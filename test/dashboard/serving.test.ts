/**
 * Serving the dashboard (SPEC §14) over real HTTP: the page and its hashed assets with their
 * content types, caching and security headers, without the token (a page load cannot send one) but
 * never the API without it, at most 150 KB gzipped in all, and nothing at / with ui: false.
 */
import { get as httpGet } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/api/app.js';
import { silentLogger } from '../../src/logger.js';
import { expectApiError, startTestServer, type TestServer } from '../_server.js';

const TOKEN = 'dashboard-test-token-0123456789';

/** The bytes as sent (fetch would unzip them silently) and the content encoding. */
function rawGet(url: string, headers: Record<string, string>): Promise<{ encoding: string | undefined; bytes: Buffer }> {
  return new Promise((resolve, reject) => {
    httpGet(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ encoding: res.headers['content-encoding'], bytes: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

/** The asset paths the page names (scripts, styles, icon). */
function assetsOf(html: string): string[] {
  return [...html.matchAll(/(?:src|href)="(assets\/[^"]+)"/g)].map((m) => m[1]!);
}

describe('the dashboard page and assets', () => {
  let server: TestServer;
  let html: string;
  beforeAll(async () => {
    server = await startTestServer({ token: TOKEN });
    html = await (await fetch(`${server.url}/`)).text();
  });
  afterAll(async () => {
    await server.dispose();
  });

  it('serves the page without a token, revalidated on every load, locked down by its headers', async () => {
    const page = await fetch(`${server.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('cache-control')).toBe('no-cache');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:|\*/);
    const body = await page.text();
    // No inline script: every <script> has a src on the server itself.
    expect(body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(body).toMatch(/<script type="module" src="assets\/app-[A-Z0-9]+\.js"><\/script>/);
    const etag = page.headers.get('etag')!;
    expect((await fetch(`${server.url}/`, { headers: { 'if-none-match': etag } })).status).toBe(304);
  });

  it('serves hashed assets with their types, cached for a year, and 404 for any other name', async () => {
    const assets = assetsOf(html);
    expect(assets.map((a) => a.replace(/-[A-Za-z0-9]+\./, '-HASH.')).sort()).toEqual(['assets/app-HASH.css', 'assets/app-HASH.js', 'assets/favicon-HASH.svg']);
    const types: Record<string, string> = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8', svg: 'image/svg+xml' };
    for (const asset of assets) {
      const answer = await fetch(`${server.url}/${asset}`);
      expect(answer.status, asset).toBe(200);
      expect(answer.headers.get('content-type')).toBe(types[asset.split('.').pop()!]);
      expect(answer.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
    }
    const head = await fetch(`${server.url}/${assets[0]}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    await expectApiError(await fetch(`${server.url}/assets/app-NOPE.js`), 404, 'NOT_FOUND');
  });

  it('is at most 150 KB gzipped in all, and sent gzipped to a client that takes it', async () => {
    let total = 0;
    for (const path of ['', ...assetsOf(html)]) {
      const { encoding, bytes } = await rawGet(`${server.url}/${path}`, { 'accept-encoding': 'gzip, deflate' });
      expect(encoding, `${path || '/'} is sent gzipped`).toBe('gzip');
      expect(gunzipSync(bytes).length).toBeGreaterThan(bytes.length / 2);
      total += bytes.length;
    }
    expect(total).toBeLessThanOrEqual(150 * 1024);
  });

  it('needs the token for every API call, the event stream and /metrics', async () => {
    for (const path of ['/api/scheduler/jobs', '/api/scheduler/health', '/api/scheduler/events', '/metrics']) {
      await expectApiError(await fetch(`${server.url}${path}`), 401, 'UNAUTHORIZED');
    }
    expect((await fetch(`${server.url}/api/scheduler/health`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    // The page's own paths take no token, and a POST to them is not a way around it.
    await expectApiError(await fetch(`${server.url}/`, { method: 'POST' }), 401, 'UNAUTHORIZED');
  });

  it('keeps the Host and Origin rules for the page as well', async () => {
    expect((await fetch(`${server.url}/`, { headers: { origin: 'http://evil.example' } })).status).toBe(403);
  });
});

describe('the page opened at a LAN address (bound to all interfaces, with a token)', () => {
  it('may call the API from its own origin, and from no other', async () => {
    const server = await startTestServer({ host: '0.0.0.0', token: TOKEN });
    try {
      const call = (host: string, origin: string) =>
        new Promise<number>((resolve, reject) => {
          httpGet(`http://127.0.0.1:${server.port}/api/scheduler/jobs`, { headers: { host, origin, authorization: `Bearer ${TOKEN}` }, setHost: false }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          }).on('error', reject);
        });
      const host = `server.lan:${server.port}`;
      expect(await call(host, `http://${host}`)).toBe(200);
      expect(await call(host, `http://other.lan:${server.port}`)).toBe(403);
      expect(await call(host, `https://${host}`)).toBe(403);
    } finally {
      await server.dispose();
    }
  });
});

describe('ui: false', () => {
  it('answers 404 at / and serves no assets; the API is unchanged', async () => {
    const server = await startTestServer();
    try {
      const html = await (await fetch(`${server.url}/`)).text();
      const asset = assetsOf(html)[0]!;
      const app = createApp(server.supervisor, { logger: silentLogger, loopbackOnly: true, ownPort: () => server.port, ui: false });
      const get = (path: string) => app.fetch(new Request(`${server.url}${path}`, { headers: { host: `127.0.0.1:${server.port}` } }));
      await expectApiError(await get('/'), 404, 'NOT_FOUND');
      await expectApiError(await get(`/${asset}`), 404, 'NOT_FOUND');
      expect((await get('/api/scheduler/health')).status).toBe(200);
    } finally {
      await server.dispose();
    }
  });
});
