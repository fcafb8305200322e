/**
 * What the end-of-run sweep costs: runs of `cmd` through our pool (spawner processes), `inFlight`
 * at a time, in rounds that take turns between the sweep on and off (RunRequest.sweep), so
 * machine noise hits both alike. Optionally with `idleProcesses` extra sleeping processes, since
 * a /proc scan grows with the process count.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPool } from '../../src/pool.js';
import type { RunRequest } from '../../workers/protocol.js';
import { agentInput, agentOutput } from '../lib/procs.js';
import { summarize, type Summary } from '../lib/stats.js';

export interface SweepCostInput {
  /** Runs per mode, split into `rounds`. */
  count: number;
  rounds: number;
  inFlight: number;
  cmd?: string;
  idleProcesses?: number;
}

export interface SweepFigures {
  /** Runs per second over the mode's rounds. */
  throughput: number;
  /** call → result, ms. */
  roundTrip: Summary;
}

export interface SweepCostResult {
  on: SweepFigures;
  off: SweepFigures;
  processes: number;
}

const input = agentInput<SweepCostInput>();
const dir = mkdtempSync(join(tmpdir(), 'mxx-bench-sweep-'));
const env = { ...(process.env as Record<string, string>) };
const pool = createPool({ threads: 2, spawner: 'spawner' });
let seq = 0;

const idle: ChildProcess[] = [];
for (let i = 0; i < (input.idleProcesses ?? 0); i++) idle.push(spawn('sleep', ['600'], { stdio: 'ignore' }));

const request = (sweep: boolean): Omit<RunRequest, 'port' | 'v'> => {
  const runId = `sweep-bench-${process.pid}-${++seq}`;
  return { runId, jobId: 'bench', cmd: input.cmd ?? 'true', env, graceMs: 1000, logPath: join(dir, `${runId}.log`), logCapBytes: 1 << 20, tailBytes: 1024, sweep };
};

/** `n` runs, `inFlight` at a time; returns [wall ms, round trips]. */
async function round(n: number, sweep: boolean): Promise<[number, number[]]> {
  const trips: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: input.inFlight }, async () => {
      while (next < n) {
        next++;
        const start = performance.now();
        await pool.run(request(sweep), () => {}).result;
        trips.push(performance.now() - start);
      }
    }),
  );
  return [performance.now() - t0, trips];
}

const totals = { on: { ms: 0, runs: 0, trips: [] as number[] }, off: { ms: 0, runs: 0, trips: [] as number[] } };
await round(50, true); // warm-up: spawners up, JIT, the environ cache filled
await round(50, false);
const perRound = Math.max(1, Math.round(input.count / input.rounds));
for (let i = 0; i < input.rounds; i++) {
  for (const mode of i % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const)) {
    const [ms, trips] = await round(perRound, mode === 'on');
    totals[mode].ms += ms;
    totals[mode].runs += perRound;
    totals[mode].trips.push(...trips);
  }
}
const figures = (t: typeof totals.on): SweepFigures => ({ throughput: (t.runs / t.ms) * 1000, roundTrip: summarize(t.trips) });
const processes = (await import('node:fs')).readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).length;
await pool.close();
for (const child of idle) child.kill('SIGKILL');
rmSync(dir, { recursive: true, force: true });
agentOutput({ on: figures(totals.on), off: figures(totals.off), processes } satisfies SweepCostResult);
process.exit(0);
