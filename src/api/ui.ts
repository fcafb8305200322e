/**
 * The web dashboard (SPEC §14): GET / and its assets, built by `npm run build` into
 * `<package>/dist/dashboard/` (src/dashboard/build.mjs writes the files and a manifest). Read once,
 * on the first request, and kept in memory with a gzip copy: a few hundred KB at most.
 *
 * The page and its assets hold no data, so they are served without the API token (a page load
 * cannot send one; the page asks for it and sends it on every API call); the Host and Origin rules
 * still apply. Hashed names never change content: cached for a year. The HTML is revalidated on
 * every load (ETag), so a new build is picked up at once. The Content-Security-Policy allows the
 * server's own origin only, with no inline script or style: the page talks to nothing else.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { getRouterParam, type H3, type H3Event } from 'h3';
import { MxxError } from '../errors.js';

/** What src/dashboard/build.mjs writes beside the files. */
export interface DashboardManifest {
  /** The page, a file in the dashboard folder. */
  html: string;
  /** Hashed asset names (under `assets/`) and their content types. */
  assets: Record<string, string>;
}

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const COMMON_HEADERS = {
  'x-content-type-options': 'nosniff',
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

const IMMUTABLE = 'public, max-age=31536000, immutable';

interface File {
  type: string;
  body: Uint8Array;
  gzip: Uint8Array;
  etag: string;
}

export interface Dashboard {
  /** GET/HEAD of these paths needs no token (see the guard's publicPath). */
  isPublic(method: string, pathname: string): boolean;
  register(app: H3): void;
}

/** `<package>/dist/dashboard`, found from the package root (as the pool finds its worker). */
export function defaultDashboardDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'dist', 'dashboard');
}

function readFile(path: string, type: string): File {
  const body = readFileSync(path);
  return { type, body, gzip: gzipSync(body, { level: 9 }), etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
}

function load(dir: string): { html: File; assets: Map<string, File> } {
  const manifestPath = join(dir, 'manifest.json');
  if (!existsSync(manifestPath)) {
    throw new MxxError('NOT_FOUND', `the dashboard is not built into this copy of mxx (no ${manifestPath})`, {
      hint: 'build it with: npm run build',
    });
  }
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as DashboardManifest;
  const assets = new Map<string, File>();
  for (const [name, type] of Object.entries(manifest.assets)) assets.set(name, readFile(join(dir, 'assets', name), type));
  return { html: readFile(join(dir, manifest.html), 'text/html; charset=utf-8'), assets };
}

function answer(event: H3Event, file: File, cacheControl: string): Response {
  const headers = new Headers({ ...COMMON_HEADERS, 'content-type': file.type, 'cache-control': cacheControl, etag: file.etag, vary: 'accept-encoding' });
  if (event.req.headers.get('if-none-match') === file.etag) return new Response(null, { status: 304, headers });
  const gzip = /\bgzip\b/i.test(event.req.headers.get('accept-encoding') ?? '');
  if (gzip) headers.set('content-encoding', 'gzip');
  const body = gzip ? file.gzip : file.body;
  headers.set('content-length', String(body.byteLength));
  return new Response(event.req.method === 'HEAD' ? null : body, { headers });
}

export function createDashboard(dir = defaultDashboardDir()): Dashboard {
  let files: ReturnType<typeof load> | null = null;
  // Loaded on the first request, not at start: servers that nobody opens in a browser pay nothing.
  const get = (): ReturnType<typeof load> => (files ??= load(dir));
  return {
    isPublic: (method, pathname) => (method === 'GET' || method === 'HEAD') && (pathname === '/' || pathname.startsWith('/assets/')),
    register(app) {
      for (const method of ['GET', 'HEAD'] as const) {
        app.on(method, '/', (event) => answer(event, get().html, 'no-cache'));
        app.on(method, '/assets/:name', (event) => {
          const name = getRouterParam(event, 'name') ?? '';
          const file = get().assets.get(name);
          if (!file) throw new MxxError('NOT_FOUND', `no such dashboard file: ${name}`, { hint: 'reload the page: the server may have a newer build' });
          return answer(event, file, IMMUTABLE);
        });
      }
    },
  };
}
