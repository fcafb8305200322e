/**
 * Dispatch round trips in a fresh process: one run of `cmd` at a time, timed from the call to the
 * `started` event and to the result, the modes taking turns. Modes:
 * - `main`: workers/spawn-run.ts's startRun on the main thread (what a worker does, without a pool);
 * - `piscina`: our pool (src/pool.ts), the worker thread forking (`thread`) or its spawner process;
 * - `tinypool`: the same worker file behind tinypool, through the same per-task MessageChannel;
 * - `*-echo`: a task that does nothing, for the pool's own cost.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { Tinypool } from 'tinypool';
import { createPool, type ExecutionPool } from '../../src/pool.js';
import { startRun } from '../../workers/spawn-run.js';
import { PROTOCOL_VERSION, type RunEvent, type RunRequest, type RunResult, type RunWorkerData } from '../../workers/protocol.js';
import { agentInput, agentOutput } from '../lib/procs.js';
import { summarize, type Summary } from '../lib/stats.js';

export type DispatchMode = 'main' | 'piscina-thread' | 'piscina-spawner' | 'tinypool-thread' | 'piscina-echo' | 'tinypool-echo';

export interface PoolDispatchInput {
  /** Measured in turns (one dispatch of each mode, then again), so machine noise hits them alike. */
  modes: DispatchMode[];
  /** Dispatches per mode. */
  count: number;
  cmd?: string;
  /** Grow this process's heap by this many MB (touched) before measuring. */
  ballastMb?: number;
  warmup?: number;
}

export interface DispatchFigures {
  /** call → `started` event received (spawned), ms. */
  started: Summary;
  /** call → result, ms. */
  roundTrip: Summary;
}

export interface PoolDispatchResult {
  modes: Partial<Record<DispatchMode, DispatchFigures>>;
  rssMb: number;
}

const input = agentInput<PoolDispatchInput>();
const ballast: Buffer[] = [];
for (let i = 0; i < (input.ballastMb ?? 0); i++) ballast.push(Buffer.alloc(1024 * 1024, i & 0xff));
const threads = 2;
const dir = mkdtempSync(join(tmpdir(), 'mxx-bench-pool-'));
const env = { ...(process.env as Record<string, string>) };
let seq = 0;

type RunSpecNoPort = Omit<RunRequest, 'port' | 'v'>;
const spec = (): RunSpecNoPort => {
  // Unique across processes: the end-of-run sweep ends every process carrying a run's id.
  const runId = `run-${process.pid}-${++seq}`;
  return { runId, jobId: 'bench', cmd: input.cmd ?? 'true', env, graceMs: 1000, logPath: join(dir, `${runId}.log`), logCapBytes: 1 << 20, tailBytes: 1024 };
};

/** One dispatch: resolves with [ms to started, ms to result]. */
type Dispatch = () => Promise<[number | null, number]>;

function viaExecutionPool(pool: ExecutionPool): Dispatch {
  return async () => {
    const t0 = performance.now();
    let started: number | null = null;
    const handle = pool.run(spec(), (event: RunEvent) => {
      if (event.type === 'started') started = performance.now() - t0;
    });
    await handle.result;
    return [started, performance.now() - t0];
  };
}

/** The same task and per-task channel as src/pool.ts, behind tinypool. */
function viaTinypool(pool: Tinypool): Dispatch {
  return async () => {
    const t0 = performance.now();
    let started: number | null = null;
    const { port1, port2 } = new MessageChannel();
    port1.on('message', (event: RunEvent) => {
      if (event.type === 'started') started = performance.now() - t0;
    });
    try {
      await (pool.run({ ...spec(), v: PROTOCOL_VERSION, port: port2 } satisfies RunRequest, { transferList: [port2] }) as Promise<RunResult>);
    } finally {
      port1.close();
    }
    return [started, performance.now() - t0];
  };
}

function echo(run: (task: unknown, transfer: MessagePort[]) => Promise<unknown>): Dispatch {
  return async () => {
    const t0 = performance.now();
    const { port1, port2 } = new MessageChannel();
    await run({ n: seq++, port: port2 }, [port2]);
    port1.close();
    return [null, performance.now() - t0];
  };
}

const workerFile = fileURLToPath(new URL('../../workers/run.js', import.meta.url));
const echoFile = fileURLToPath(new URL('./echo-task.js', import.meta.url));
const closers: Array<() => Promise<void>> = [];

function create(mode: DispatchMode): Dispatch {
  switch (mode) {
    case 'main':
      return async () => {
        const t0 = performance.now();
        let started: number | null = null;
        const running = startRun(spec(), (event) => {
          if (event.type === 'started') started = performance.now() - t0;
        });
        await running.result;
        return [started, performance.now() - t0];
      };
    case 'piscina-thread':
    case 'piscina-spawner': {
      const pool = createPool({ threads, workerFile, spawner: mode === 'piscina-thread' ? 'thread' : 'spawner' });
      closers.push(() => pool.close());
      return viaExecutionPool(pool);
    }
    case 'tinypool-thread': {
      const workerData: RunWorkerData = { via: 'thread' };
      const pool = new Tinypool({ filename: workerFile, minThreads: threads, maxThreads: threads, concurrentTasksPerWorker: 32, useAtomics: false, workerData });
      closers.push(() => pool.destroy());
      return viaTinypool(pool);
    }
    case 'piscina-echo': {
      const pool = new Piscina({ filename: echoFile, minThreads: threads, maxThreads: threads, concurrentTasksPerWorker: 32, atomics: 'disabled' });
      closers.push(() => pool.destroy());
      return echo((task, transferList) => pool.run(task, { transferList }));
    }
    case 'tinypool-echo': {
      const pool = new Tinypool({ filename: echoFile, minThreads: threads, maxThreads: threads, concurrentTasksPerWorker: 32, useAtomics: false });
      closers.push(() => pool.destroy());
      return echo((task, transferList) => pool.run(task, { transferList }));
    }
  }
}

const dispatchers = input.modes.map((mode) => ({ mode, dispatch: create(mode), started: [] as number[], roundTrip: [] as number[] }));
// Warm-up: threads started, modules loaded, spawner processes up, JIT.
for (let i = 0; i < (input.warmup ?? 20); i++) for (const d of dispatchers) await d.dispatch();
for (let i = 0; i < input.count; i++) {
  for (const d of dispatchers) {
    const [s, r] = await d.dispatch();
    if (s !== null) d.started.push(s);
    d.roundTrip.push(r);
  }
}
const rssMb = process.memoryUsage().rss / 1024 / 1024;
for (const close of closers) await close();
rmSync(dir, { recursive: true, force: true });
agentOutput({
  modes: Object.fromEntries(dispatchers.map((d) => [d.mode, { started: summarize(d.started), roundTrip: summarize(d.roundTrip) }])),
  rssMb,
} satisfies PoolDispatchResult);
process.exit(0);
