/**
 * Spike: fork from the worker threads ('thread') or from one spawner process per thread
 * ('spawner')? Measures, with the server's heap at its natural size and inflated to ~500 MB:
 *   - request → `started` event, for `true`, one run at a time;
 *   - fire → child start, for `date +%s%N` (the child prints when it began), one at a time;
 *   - throughput of 1000 `true` runs with 64 in flight, and the main thread's timer lag meanwhile.
 * Each configuration runs in a fresh process. `node dist/bench/spike-spawner.js [--quick]`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPool, type ExecutionPool } from '../src/pool.js';
import type { RunRequest } from '../workers/protocol.js';

type Via = 'thread' | 'spawner';

interface Measured {
  via: Via;
  rssMb: number;
  startedMs: { p50: number; p99: number };
  childStartMs: { p50: number; p99: number };
  runsPerSecond: number;
  timerLagP99Ms: number;
}

const HEAP_TARGET_MB = 500;

async function measure(via: Via, inflate: boolean, quick: boolean): Promise<Measured> {
  const ballast = inflate ? inflateHeap(HEAP_TARGET_MB) : [];
  const dir = mkdtempSync(join(tmpdir(), 'mxx-spike-'));
  const env = Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined));
  let counter = 0;
  const request = (cmd: string | string[]): Omit<RunRequest, 'port' | 'v'> => {
    const runId = `r${++counter}`;
    return { runId, jobId: 'spike', cmd, env, graceMs: 1000, logPath: join(dir, `${runId}.log`), logCapBytes: 1 << 20, tailBytes: 256 };
  };
  const pool = createPool({ spawner: via, concurrentTasksPerWorker: 32 });
  try {
    // Warm-up: starts the spawners (one per thread) and the JIT on both sides.
    await Promise.all(Array.from({ length: pool.threads * 8 }, () => pool.run(request('true'), () => {}).result));
    const samples = quick ? 50 : 200;
    const started: number[] = [];
    const childStart: number[] = [];
    for (let i = 0; i < samples; i++) {
      const firedAt = performance.now();
      let startedAt = Number.NaN;
      const result = await pool.run(request('true'), (event) => {
        if (event.type === 'started') startedAt = performance.now();
      }).result;
      if (result.status !== 'completed') throw new Error(`true: ${result.status} ${result.error}`);
      started.push(startedAt - firedAt);

      const firedNs = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));
      const dated = await pool.run(request(['date', '+%s%N']), () => {}).result;
      childStart.push(Number(BigInt(dated.tail.trim()) - firedNs) / 1e6);
    }
    const { runsPerSecond, timerLagP99Ms } = await throughput(pool, () => request('true'), quick ? 300 : 1000, 64);
    return {
      via,
      rssMb: Math.round(process.memoryUsage().rss / 2 ** 20),
      startedMs: percentiles(started),
      childStartMs: percentiles(childStart),
      runsPerSecond,
      timerLagP99Ms,
    };
  } finally {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
    ballast.length = 0;
  }
}

/** `total` runs, `inFlight` at a time; a 10 ms interval on the main thread records how late it fires. */
async function throughput(pool: ExecutionPool, next: () => Omit<RunRequest, 'port' | 'v'>, total: number, inFlight: number) {
  const lags: number[] = [];
  let expected = performance.now() + 10;
  const ticker = setInterval(() => {
    const now = performance.now();
    lags.push(Math.max(0, now - expected));
    expected = now + 10;
  }, 10);
  let issued = 0;
  const begin = performance.now();
  const lane = async (): Promise<void> => {
    while (issued < total) {
      issued++;
      const result = await pool.run(next(), () => {}).result;
      if (result.status !== 'completed') throw new Error(`true: ${result.status} ${result.error}`);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  const took = performance.now() - begin;
  clearInterval(ticker);
  return { runsPerSecond: Math.round((total / took) * 1000), timerLagP99Ms: round(percentiles(lags).p99) };
}

/** Allocates and touches memory on the main thread until the process is ~`targetMb` resident. */
function inflateHeap(targetMb: number): Float64Array[] {
  const ballast: Float64Array[] = [];
  while (process.memoryUsage().rss < targetMb * 2 ** 20) ballast.push(new Float64Array(2 ** 17).fill(Math.random()));
  return ballast;
}

function percentiles(values: number[]): { p50: number; p99: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return { p50: round(at(0.5)), p99: round(at(0.99)) };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

async function main(): Promise<void> {
  const [role, via, heap] = process.argv.slice(2);
  const quick = process.argv.includes('--quick');
  if (role === 'one') {
    process.stdout.write(`${JSON.stringify(await measure(via as Via, heap === 'big', quick))}\n`);
    return;
  }
  const self = fileURLToPath(import.meta.url);
  const rows: Array<Measured & { heap: string }> = [];
  for (const size of ['natural', 'big']) {
    for (const mode of ['thread', 'spawner'] as const) {
      const out = execFileSync(process.execPath, [self, 'one', mode, size, ...(quick ? ['--quick'] : [])], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
      const row = { heap: size, ...(JSON.parse(out) as Measured) };
      rows.push(row);
      console.log(JSON.stringify(row));
    }
  }
  for (const size of ['natural', 'big']) {
    const thread = rows.find((row) => row.heap === size && row.via === 'thread')!;
    const spawner = rows.find((row) => row.heap === size && row.via === 'spawner')!;
    const ratio = (a: number, b: number): string => `${round(b / a)}×`;
    console.log(
      `heap ${size} (thread rss ${thread.rssMb} MB): ` +
        `started p50 ${thread.startedMs.p50} → ${spawner.startedMs.p50} ms (${ratio(thread.startedMs.p50, spawner.startedMs.p50)}), ` +
        `p99 ${thread.startedMs.p99} → ${spawner.startedMs.p99} ms (${ratio(thread.startedMs.p99, spawner.startedMs.p99)}); ` +
        `child start p50 ${thread.childStartMs.p50} → ${spawner.childStartMs.p50} ms (${ratio(thread.childStartMs.p50, spawner.childStartMs.p50)}); ` +
        `throughput ${thread.runsPerSecond} → ${spawner.runsPerSecond} runs/s (${ratio(thread.runsPerSecond, spawner.runsPerSecond)}); ` +
        `timer lag p99 ${thread.timerLagP99Ms} → ${spawner.timerLagP99Ms} ms`,
    );
  }
}

await main();
