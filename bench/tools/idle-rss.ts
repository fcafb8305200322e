/**
 * `node dist/bench/tools/idle-rss.js [--runs N]`: where an idle server's memory goes (issue 16's
 * "idle ≤ 60 MB"). Each step is a fresh Node process that imports one more thing and idles for a
 * second before its VmRSS is read: bare Node, each runtime dependency alone, all of them, the
 * server's whole module graph (dist/src/index.js), then a real idle server (`mxx server --port 0`,
 * empty home) with and without its warm pool thread's helper, read from /proc. Prints the median of
 * N runs per step (default 3), and each step's cost over bare Node.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MXX_BIN } from '../lib/mxx.js';
import { rssMb, treeRssMb } from '../lib/linux-proc.js';

const DEPENDENCIES = ['chokidar', 'clipanion', 'croner', 'h3', 'js-yaml', 'pg', 'piscina', 'prom-client', 'smol-toml'];
const INDEX = pathToFileURL(fileURLToPath(new URL('../../src/index.js', import.meta.url))).href;

/** VmRSS (MB) of a Node process that imports `specifiers`, then idles 1 s. */
function importRss(specifiers: string[]): Promise<number> {
  const code = `${specifiers.map((s) => `await import(${JSON.stringify(s)});`).join('')}
setTimeout(() => { process.stdout.write(String(process.memoryUsage().rss / 1048576)); }, 1000);`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], { cwd: fileURLToPath(new URL('../../../', import.meta.url)), stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(Number(out)) : reject(new Error(`import of ${specifiers.join(', ')} exited ${code}`))));
  });
}

/** An idle real server on an empty home: its process, and with its helpers, after `idleMs`. */
async function serverRss(idleMs: number): Promise<{ server: number; tree: number }> {
  const home = mkdtempSync(join(tmpdir(), 'mxx-idle-rss-'));
  const child = spawn(process.execPath, [MXX_BIN, 'server', '--port', '0'], { env: { ...process.env, MXX_HOME: home, NO_COLOR: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    await new Promise<void>((resolve, reject) => {
      let err = '';
      child.stderr!.on('data', (chunk: Buffer) => {
        err += chunk.toString();
        if (/listening/.test(err)) resolve();
      });
      child.on('exit', (code) => reject(new Error(`server exited ${code}: ${err}`)));
    });
    await new Promise((resolve) => setTimeout(resolve, idleMs));
    return { server: rssMb(child.pid!) ?? NaN, tree: treeRssMb(child.pid!) ?? NaN };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    rmSync(home, { recursive: true, force: true });
  }
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function main(): Promise<void> {
  const at = process.argv.indexOf('--runs');
  const runs = at > 0 ? Number(process.argv[at + 1]) : 3;
  const steps: Array<[string, () => Promise<number>]> = [
    ['bare node', () => importRss([])],
    ...DEPENDENCIES.map((name): [string, () => Promise<number>] => [`import ${name}`, () => importRss([name])]),
    ['import all of them', () => importRss(DEPENDENCIES)],
    ['import dist/src/index.js (the server, not started)', () => importRss([INDEX])],
    ['server idle 2 s: server process', async () => (await serverRss(2000)).server],
    ['server idle 2 s: server and helpers', async () => (await serverRss(2000)).tree],
  ];
  let bare = 0;
  for (const [name, step] of steps) {
    const values: number[] = [];
    for (let i = 0; i < runs; i++) values.push(await step());
    const mb = median(values);
    if (name === 'bare node') bare = mb;
    process.stdout.write(`${name.padEnd(52)} ${mb.toFixed(1).padStart(6)} MB  ${name === 'bare node' ? '' : `+${(mb - bare).toFixed(1)} MB`}\n`);
  }
}

await main();
