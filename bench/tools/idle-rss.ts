/**
 * `node dist/bench/tools/idle-rss.js [--runs N]`: where an idle server's memory goes (issue 16's
 * "idle ≤ 60 MB"). Each step is a fresh Node process that imports one more thing and idles for a
 * second before its VmRSS is read: bare Node, each runtime dependency alone, all of them, the
 * server's whole module graph (dist/src/index.js), then a real idle server (`mxx server --port 0`,
 * empty home): its process alone and with its warm pool thread's helper, both read from /proc in
 * one start. Prints the median of N runs per step (default 3), and each step's cost over bare Node.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startMxxServer } from '../lib/mxx.js';
import { rssMb, treeRssMb } from '../lib/linux-proc.js';
import { summarize } from '../lib/stats.js';

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

/** An idle real server on an empty home (the bench's own startMxxServer): its process, and with its helpers, after `idleMs`. */
async function serverRss(idleMs: number): Promise<{ server: number; tree: number }> {
  const server = await startMxxServer({ label: 'idle-rss' });
  try {
    await new Promise((resolve) => setTimeout(resolve, idleMs));
    return { server: rssMb(server.pid) ?? NaN, tree: treeRssMb(server.pid) ?? NaN };
  } finally {
    await server.dispose();
  }
}

/** One step: `runs` samples of one or more figures, each printed as its median. */
type Step = [names: string[], sample: () => Promise<number[]>];

async function main(): Promise<void> {
  const at = process.argv.indexOf('--runs');
  const runs = at > 0 ? Number(process.argv[at + 1]) : 3;
  const one = (name: string, specifiers: string[]): Step => [[name], async () => [await importRss(specifiers)]];
  const steps: Step[] = [
    one('bare node', []),
    ...DEPENDENCIES.map((name) => one(`import ${name}`, [name])),
    one('import all of them', DEPENDENCIES),
    one('import dist/src/index.js (the server, not started)', [INDEX]),
    [
      ['server idle 2 s: server process', 'server idle 2 s: server and helpers'],
      async () => {
        const { server, tree } = await serverRss(2000);
        return [server, tree];
      },
    ],
  ];
  let bare: number | null = null;
  for (const [names, sample] of steps) {
    const samples: number[][] = [];
    for (let i = 0; i < runs; i++) samples.push(await sample());
    names.forEach((name, k) => {
      const mb = summarize(samples.map((s) => s[k]!)).p50!;
      bare ??= mb;
      process.stdout.write(`${name.padEnd(52)} ${mb.toFixed(1).padStart(6)} MB  ${name === 'bare node' ? '' : `+${(mb - bare).toFixed(1)} MB`}\n`);
    });
  }
}

await main();
