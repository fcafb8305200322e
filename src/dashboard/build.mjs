/**
 * Bundles the dashboard (src/dashboard/main.ts and its CSS) with esbuild into dist/dashboard/:
 * assets/ with content-hashed names, index.html that names them, and manifest.json, which the
 * server (src/api/ui.ts) reads. Run by `npm run build` and by the tests' global setup.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const out = join(root, 'dist', 'dashboard');
const assetsDir = join(out, 'assets');

const TYPES = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml' };

mkdirSync(assetsDir, { recursive: true });

/** Written beside, then renamed: a server (or a test run) reading the folder never sees half a file. */
function writeAtomic(file, text) {
  writeFileSync(`${file}.tmp-${process.pid}`, text);
  renameSync(`${file}.tmp-${process.pid}`, file);
}

const result = await build({
  entryPoints: { app: join(here, 'main.ts') },
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2022'],
  outdir: assetsDir,
  entryNames: '[name]-[hash]',
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
});

/** Copies a file under a content-hashed name, as esbuild names its outputs. */
function hashed(file) {
  const body = readFileSync(file);
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 10);
  const name = basename(file).replace(/(\.[^.]+)$/, `-${hash}$1`);
  writeFileSync(join(assetsDir, name), body);
  return name;
}

const outputs = Object.keys(result.metafile.outputs).map((file) => basename(file));
const js = outputs.find((name) => name.endsWith('.js'));
const css = outputs.find((name) => name.endsWith('.css'));
if (!js || !css) throw new Error(`esbuild wrote ${outputs.join(', ')}: expected one .js and one .css`);
const icon = hashed(join(here, 'favicon.svg'));

const html = readFileSync(join(here, 'index.html'), 'utf8').replaceAll('%JS%', js).replaceAll('%CSS%', css).replaceAll('%ICON%', icon);
writeAtomic(join(out, 'index.html'), html);

const assets = {};
for (const name of [js, css, icon]) assets[name] = TYPES[name.slice(name.lastIndexOf('.'))];
writeAtomic(join(out, 'manifest.json'), `${JSON.stringify({ html: 'index.html', assets }, null, 2)}\n`);
// An older build's hashed files would otherwise pile up.
for (const name of readdirSync(assetsDir)) if (!(name in assets)) rmSync(join(assetsDir, name), { force: true });
