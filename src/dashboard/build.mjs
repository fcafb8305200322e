/**
 * Bundles the dashboard (src/dashboard/main.ts and its CSS) with esbuild into dist/dashboard/:
 * assets/ with content-hashed names, index.html that names them, and manifest.json, which the
 * server (src/api/ui.ts) reads. Run by `npm run build` (so by `npm start`) and by the tests' global setup.
 *
 * The manifest also records what the bundle was made from (`inputFiles`, as esbuild reported them,
 * and `inputs`, a sha256 over those files, this script, the page template, the icon and esbuild's
 * version). When nothing of that changed and the named files are there, the bundle is kept as it
 * is: a restart should not wait for esbuild.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, version as esbuildVersion } from 'esbuild';

const self = fileURLToPath(import.meta.url);
const here = dirname(self);
const root = join(here, '..', '..');
const out = join(root, 'dist', 'dashboard');
const assetsDir = join(out, 'assets');
const manifestPath = join(out, 'manifest.json');

const TYPES = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml' };
/** Read by this script itself rather than by esbuild (paths relative to the package root). */
const OWN_INPUTS = [self, join(here, 'index.html'), join(here, 'favicon.svg')].map((file) => relative(root, file));

/** sha256 over esbuild's version and the named files (path and content); null when one is gone. */
function inputsHash(files) {
  const hash = createHash('sha256').update(`esbuild ${esbuildVersion}\0`);
  for (const file of [...new Set([...OWN_INPUTS, ...files])].sort()) {
    let body;
    try {
      body = readFileSync(join(root, file));
    } catch {
      return null;
    }
    hash.update(`${file}\0${body.length}\0`).update(body);
  }
  return hash.digest('hex');
}

/** True when the manifest's bundle was made from exactly the files as they are now, and is all there. */
function upToDate() {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  } catch {
    return false;
  }
  if (typeof manifest.inputs !== 'string' || !Array.isArray(manifest.inputFiles)) return false;
  if (!existsSync(join(out, manifest.html))) return false;
  for (const name of Object.keys(manifest.assets ?? {})) if (!existsSync(join(assetsDir, name))) return false;
  return inputsHash(manifest.inputFiles) === manifest.inputs;
}

if (upToDate()) process.exit(0);

mkdirSync(assetsDir, { recursive: true });

/** Written beside, then renamed: a server (or a test run) reading the folder never sees half a file. */
function writeAtomic(file, text) {
  writeFileSync(`${file}.tmp-${process.pid}`, text);
  renameSync(`${file}.tmp-${process.pid}`, file);
}

const result = await build({
  absWorkingDir: root,
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
// esbuild names its inputs relative to absWorkingDir (the package root), with forward slashes.
const inputFiles = Object.keys(result.metafile.inputs).sort();
const inputs = inputsHash(inputFiles);
if (inputs === null) throw new Error('an input of the bundle vanished while it was built');
writeAtomic(manifestPath, `${JSON.stringify({ html: 'index.html', assets, inputs, inputFiles }, null, 2)}\n`);
// An older build's hashed files would otherwise pile up.
for (const name of readdirSync(assetsDir)) if (!(name in assets)) rmSync(join(assetsDir, name), { force: true });
