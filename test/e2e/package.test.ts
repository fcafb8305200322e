/**
 * The npm package as users get it (#14 item 7): `npm pack` of the built checkout holds only what
 * runs, and the tarball installed into a temporary global prefix works from there — the bins, the
 * job-file schema, a server with its dashboard. dist/ is built by the global setup; the pack skips
 * the prepack build (--ignore-scripts) so the test packs exactly what the other tests ran.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../_cli.js';
import { groupMembers, killGroups, waitGroupGone } from '../_proc.js';
import { freeLocalPort } from '../../bench/lib/free-port.js';
import { waitFor } from '../_server.js';

const execFileAsync = promisify(execFile);
const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string; bin: Record<string, string> };

let tmp = '';
let prefix = '';
let home = '';
let files: string[] = [];
const groups = new Set<number>();

/** Runs an installed bin with a temporary HOME; `node` from this test's runtime on the PATH (the bins say `#!/usr/bin/env node`). */
async function runBin(bin: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, HOME: home, MXX_HOME: join(home, '.mxx'), PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`, NO_COLOR: '1' };
  try {
    const { stdout, stderr } = await execFileAsync(join(prefix, 'bin', bin), args, { env, timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'mxx-package-'));
  prefix = join(tmp, 'prefix');
  home = join(tmp, 'home');
  const packed = await execFileAsync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', tmp], { cwd: ROOT, maxBuffer: 16 << 20 });
  const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
  files = info!.files.map((file) => file.path);
  // From the npm cache where it can; the registry is reachable here and on CI for what is missing.
  await execFileAsync('npm', ['install', '-g', '--prefix', prefix, join(tmp, info!.filename), '--prefer-offline', '--no-audit', '--no-fund'], {
    cwd: tmp,
    timeout: 170_000,
  });
}, 180_000);

afterAll(async () => {
  killGroups(groups);
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('npm pack', () => {
  it('holds the bins, the workers, the library entry, the dashboard, the schema and the docs', async () => {
    for (const bin of Object.values(pkg.bin)) expect(files).toContain(bin);
    expect(Object.keys(pkg.bin).sort()).toEqual(['mxx', 'mxx-client', 'mxx-server']);
    const workers = (await readdir(join(ROOT, 'workers'))).filter((name) => name.endsWith('.ts'));
    expect(workers).toContain('run.ts');
    for (const name of workers) expect(files).toContain(`dist/workers/${name.replace(/\.ts$/, '.js')}`);
    for (const file of ['dist/src/index.js', 'dist/src/index.d.ts', 'dist/dashboard/manifest.json', 'dist/dashboard/index.html']) expect(files).toContain(file);
    const manifest = JSON.parse(await readFile(join(ROOT, 'dist', 'dashboard', 'manifest.json'), 'utf8')) as { assets: Record<string, string> };
    expect(Object.keys(manifest.assets).length).toBeGreaterThanOrEqual(3);
    for (const name of Object.keys(manifest.assets)) expect(files).toContain(`dist/dashboard/assets/${name}`);
    for (const file of ['schema/mxx-job.schema.json', 'LICENSE', 'README.md', 'package.json']) expect(files).toContain(file);
  });

  it('holds nothing else: no bench, tests, fixtures, sources, source maps or build info', () => {
    const runtime = /^(dist\/(src|cli|workers|dashboard)\/|schema\/)/;
    expect(files.filter((file) => !runtime.test(file) && !['LICENSE', 'README.md', 'package.json'].includes(file))).toEqual([]);
    expect(files.filter((file) => /^(dist\/bench|bench|test|fixtures|src|cli|workers)\//.test(file))).toEqual([]);
    expect(files.filter((file) => file.endsWith('.map') || file.endsWith('.tsbuildinfo'))).toEqual([]);
    expect(files.filter((file) => /\.(c|m)?ts$/.test(file) && !file.endsWith('.d.ts'))).toEqual([]);
  });
});

describe('installed globally from the tarball', () => {
  it('mxx --version prints the package version', async () => {
    const result = await runBin('mxx', ['--version']);
    expect(result).toMatchObject({ code: 0 });
    expect(result.stdout.trim()).toBe(pkg.version);
  });

  it('mxx validate accepts a good job file and names a bad one', async () => {
    const good = await runBin('mxx', ['validate', join(ROOT, 'fixtures', 'jobs', 'valid', 'daily_backup.toml')]);
    expect(good.code, good.stderr).toBe(0);
    expect(good.stdout).toContain('valid:');
    const badFile = join(ROOT, 'fixtures', 'jobs', 'invalid', 'minuet.toml');
    const bad = await runBin('mxx', ['validate', badFile]);
    expect(bad.code).not.toBe(0);
    expect(bad.stdout + bad.stderr).toContain(badFile);
  });

  it('mxx schema prints the schema the package ships', async () => {
    const result = await runBin('mxx', ['schema']);
    expect(result.code, result.stderr).toBe(0);
    const shipped = await readFile(join(prefix, 'lib', 'node_modules', 'mxx', 'schema', 'mxx-job.schema.json'), 'utf8');
    expect(JSON.parse(result.stdout)).toEqual(JSON.parse(shipped));
    expect(JSON.parse(shipped)).toMatchObject({ title: 'mxx job file' });
  });

  it('mxx-server answers /health and serves the dashboard, and SIGTERM ends it with exit 0 and nothing left', async () => {
    const port = await freeLocalPort();
    const child = spawn(join(prefix, 'bin', 'mxx-server'), ['--port', String(port)], {
      env: { ...process.env, HOME: home, MXX_HOME: join(home, '.mxx'), PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}` },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    groups.add(child.pid!);
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const base = `http://127.0.0.1:${port}`;

    const health = await waitFor(
      () => fetch(`${base}/api/scheduler/health`).then((res) => (res.status === 200 ? res.json() : null), () => null),
      20_000,
      `the installed server's /health (output so far: ${output})`,
    );
    expect(health).toMatchObject({ status: 'healthy' });

    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    const script = /src="\/?(?:assets\/)?([^"]+\.js)"/.exec(html)?.[1];
    expect(script, html).toBeDefined();
    const asset = await fetch(`${base}/assets/${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/^text\/javascript/);

    child.kill('SIGTERM');
    expect(await exited, output).toBe(0);
    expect(await waitGroupGone(child.pid!, 5_000), `left in the group: ${groupMembers(child.pid!).join(', ')}`).toBe(true);
    groups.delete(child.pid!);
  });
});
