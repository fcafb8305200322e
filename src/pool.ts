/**
 * The execution pool: piscina threads running `workers/run.ts`, each supervising many runs at
 * once. Every run gets its own MessageChannel (events out, stop in). If a thread dies under a
 * run, the pool itself ends what it knows of the run (workers/lost-run.ts) so nothing is orphaned.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { signalGroup } from '../workers/kill-group.js';
import { recoverLostRun } from '../workers/lost-run.js';
import { PROTOCOL_VERSION, type RunControl, type RunEvent, type RunRequest, type RunResult, type StopReason, type Via } from '../workers/protocol.js';
import type { RunSpec } from '../workers/spawn-run.js';
import { recordSpawnerInUse, selectSpawner, SpawnerSelectError, type SpawnerKind, type SpawnerWorkerData } from '../workers/spawner-select.js';
import { MxxError } from './errors.js';

export interface PoolOptions {
  /**
   * The most worker threads (and, with `spawner: 'spawner'`, spawner processes). One is started
   * with the pool and kept warm; more start only when every live thread holds
   * `concurrentTasksPerWorker` runs, and leave again after `idleMs` without a run.
   * @default min(os.availableParallelism(), 4)
   */
  threads?: number;
  /** How long a thread beyond the warm one may sit without a run before it (and its spawner) ends, ms. @default 60000 */
  idleMs?: number;
  /**
   * Runs one thread supervises at once; threads × this is the pool's run capacity.
   * @default max(32, ⌈minCapacity / threads⌉) — 32 or more measured +24–33 % spawn throughput over 1
   */
  concurrentTasksPerWorker?: number;
  /**
   * Runs the pool must be able to hold at once when `concurrentTasksPerWorker` is not given: the
   * caller's own limit (the supervisor's `maxConcurrency`) must be the tighter one, never the pool.
   * @default 0 (no minimum beyond the default 32 per thread)
   */
  minCapacity?: number;
  /**
   * The task module (must speak `workers/protocol.ts`).
   * @default the package's compiled `dist/workers/run-entry.cjs`, which loads `run.js` (threads cannot load TypeScript)
   */
  workerFile?: string;
  /**
   * Who forks the commands, for every run of this pool: the worker threads themselves, or one
   * small spawner process per thread. A fork copies the forking process's page tables, so from the
   * server it costs more the bigger the server grows; the spawner stays small. The spawner also
   * ends its runs when the server dies, even by SIGKILL. Measured (bench/spike-spawner.ts): at the
   * server's natural size spawn latency is the same and throughput ~1.3×; with a 500 MB server,
   * spawn latency is ~0.1× and throughput ~7×. It costs one Node process per thread (~8 MB
   * private memory), started with the thread.
   * @default 'spawner'
   */
  spawner?: Via;
  /** Called with a worker error that hit no run (a run's own crash is reported in its result). @default ignored */
  onError?: (error: unknown) => void;
}

export interface ResolvedPoolOptions {
  readonly threads: number;
  readonly idleMs: number;
  readonly concurrentTasksPerWorker: number;
  readonly minCapacity: number;
  readonly workerFile: string;
  readonly spawner: Via;
  readonly onError: (error: unknown) => void;
}

/** The spawner the threads fork from (workers/spawner-select.ts); a forced one that is missing is a CONFIG_INVALID. */
function chooseSpawner(): { kind: SpawnerKind; nativePath: string } {
  try {
    return selectSpawner(process.env);
  } catch (error) {
    if (error instanceof SpawnerSelectError) throw new MxxError('CONFIG_INVALID', error.message, { details: { code: error.code } });
    throw error;
  }
}

/** Runs per thread unless more are needed to reach `minCapacity`. */
export const DEFAULT_TASKS_PER_WORKER = 32;
/** The default thread count never passes this: a 16-core machine must not idle with 16 threads and 16 spawners. */
export const MAX_DEFAULT_THREADS = 4;
export const DEFAULT_IDLE_MS = 60_000;
/**
 * Threads kept however idle the pool is: starting a thread and its spawner costs tens of ms, which
 * would make the first run after a quiet spell several times slower than the next.
 */
const WARM_THREADS = 1;

/** The CPU count, capped at MAX_DEFAULT_THREADS. */
export function defaultThreads(): number {
  return Math.max(1, Math.min(os.availableParallelism(), MAX_DEFAULT_THREADS));
}

/** Fills the documented defaults and throws an `INVALID_REQUEST` MxxError naming a bad option. */
export function resolvePoolOptions(options: PoolOptions = {}): ResolvedPoolOptions {
  const threads = options.threads ?? defaultThreads();
  assertWhole('threads', threads, 1);
  const idleMs = options.idleMs ?? DEFAULT_IDLE_MS;
  assertWhole('idleMs', idleMs, 0);
  const minCapacity = options.minCapacity ?? 0;
  assertWhole('minCapacity', minCapacity, 0);
  const concurrentTasksPerWorker = options.concurrentTasksPerWorker ?? Math.max(DEFAULT_TASKS_PER_WORKER, Math.ceil(minCapacity / threads));
  assertWhole('concurrentTasksPerWorker', concurrentTasksPerWorker, 1);
  const spawner = options.spawner ?? 'spawner';
  if (spawner !== 'thread' && spawner !== 'spawner') invalid(`spawner must be 'thread' or 'spawner', got ${show(spawner)}`);
  const workerFile = options.workerFile ?? defaultWorkerFile();
  if (typeof workerFile !== 'string' || workerFile === '') invalid(`workerFile must be a path, got ${show(workerFile)}`);
  const onError = options.onError ?? (() => {});
  if (typeof onError !== 'function') invalid(`onError must be a function, got ${show(onError)}`);
  return { threads, idleMs, concurrentTasksPerWorker, minCapacity, workerFile, spawner, onError };
}

function assertWhole(name: string, value: unknown, min: number): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) invalid(`${name} must be a whole number ≥ ${min}, got ${show(value)}`);
}

function invalid(message: string): never {
  throw new MxxError('INVALID_REQUEST', `execution pool: ${message}`);
}

function show(value: unknown): string {
  return typeof value === 'number' ? String(value) : typeof value === 'function' ? 'a function' : (JSON.stringify(value) ?? String(value));
}

/**
 * The compiled task module of this package: `<package>/dist/workers/run-entry.cjs` (a CommonJS
 * trampoline to `run.js`: workers/run-entry.cts says why), found from the
 * package's root (the nearest folder up with a package.json). One rule for the compiled server
 * (this file is `dist/src/pool.js`, the worker in its sibling `dist/workers/`) and for code
 * loaded from source, whose threads need the compiled worker as well.
 */
function defaultWorkerFile(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'dist', 'workers', 'run-entry.cjs');
}

export interface RunHandle {
  readonly runId: string;
  /** Resolves after the last event was delivered. Never rejects: a crash is a `failed` result. */
  readonly result: Promise<RunResult>;
  /** Asks the worker to end the run; sent before the task starts, the command is never spawned. */
  stop(reason: StopReason): void;
}

export interface ExecutionPool {
  run(request: RunSpec, onEvent: (event: RunEvent) => void): RunHandle;
  /**
   * Destroys the threads. Stop runs first for a graceful end: runs still in flight are killed
   * (SIGKILL to their groups) and resolve `failed`. Resolves once every run has settled.
   */
  close(): Promise<void>;
  /** The most threads this pool starts. */
  readonly threads: number;
  /** Threads alive now (one warm, more while runs need them). */
  readonly liveThreads: number;
  /** Who forks the runs: the compiled helper, the Node spawner, or the threads themselves (absent: not said). */
  readonly spawner?: SpawnerKind | 'thread';
}

/** If the worker has not ended a stopped run well after its grace, the pool SIGKILLs the group. */
const STOP_BACKSTOP_MS = 5_000;

/**
 * Starts one thread (and, with `spawner: 'spawner'`, its spawner process); more start as runs
 * need them, up to `threads`, and end after `idleMs` idle. A thread's spawner ends with it: its
 * stdin closes when the thread is terminated.
 */
export function createPool(partial: PoolOptions = {}): ExecutionPool {
  const options = resolvePoolOptions(partial);
  const { threads } = options;
  const choice = options.spawner === 'thread' ? null : chooseSpawner();
  const spawner = choice?.kind ?? 'thread';
  const workerData: SpawnerWorkerData = { via: options.spawner, ...(choice?.kind === 'native' ? { nativeSpawner: choice.nativePath } : {}) };
  recordSpawnerInUse(spawner);
  const piscina = new Piscina({
    filename: options.workerFile,
    minThreads: Math.min(WARM_THREADS, threads),
    maxThreads: threads,
    concurrentTasksPerWorker: options.concurrentTasksPerWorker,
    // 'sync' parks idle threads and freezes a run's pending timers until the next task arrives.
    atomics: 'disabled',
    idleTimeout: options.idleMs,
    workerData,
  });
  // An unhandled 'error' event would throw in the supervisor's thread.
  piscina.on('error', (error: unknown) => options.onError(error));
  const inFlight = new Set<Promise<RunResult>>();
  let closing: Promise<void> | null = null;

  function run(request: RunSpec, onEvent: (event: RunEvent) => void): RunHandle {
    if (closing !== null) throw new Error('the execution pool is closed');
    const { port1, port2 } = new MessageChannel();
    let pid: number | null = null;
    let startedAt: number | null = null;
    let bytes = 0;
    let settled = false;
    let backstop: NodeJS.Timeout | undefined;
    const deliver = (message: unknown): void => {
      const event = message as RunEvent;
      if (event.type === 'started') ({ pid, startedAt } = event);
      if (event.type === 'output') bytes = event.bytes;
      try {
        onEvent(event);
      } catch (error) {
        options.onError(error);
      }
    };
    // Events posted just before the task resolved may still sit in the port: hand them over first.
    const drain = (): void => {
      for (let queued = receiveMessageOnPort(port1); queued !== undefined; queued = receiveMessageOnPort(port1)) deliver(queued.message);
    };
    port1.on('message', deliver);

    const task = piscina.run({ ...request, v: PROTOCOL_VERSION, port: port2 } satisfies RunRequest, { transferList: [port2] }) as Promise<RunResult>;
    const result = (async (): Promise<RunResult> => {
      try {
        const outcome = await task;
        drain();
        return outcome;
      } catch (error) {
        drain();
        const why = closing !== null ? 'the execution pool was closed during the run' : `worker crashed: ${errorMessage(error)}`;
        return await recoverLostRun(request, { pid, startedAt, bytes }, why);
      } finally {
        settled = true;
        clearTimeout(backstop);
        port1.close();
      }
    })();
    inFlight.add(result);
    void result.finally(() => inFlight.delete(result));

    return {
      runId: request.runId,
      result,
      stop(reason) {
        if (settled || backstop !== undefined) return;
        port1.postMessage({ type: 'stop', reason } satisfies RunControl);
        backstop = setTimeout(() => {
          if (!settled && pid !== null) signalGroup(pid, 'SIGKILL');
        }, request.graceMs + STOP_BACKSTOP_MS);
        backstop.unref();
      },
    };
  }

  function close(): Promise<void> {
    closing ??= (async () => {
      await piscina.destroy();
      await Promise.allSettled([...inFlight]);
    })();
    return closing;
  }

  return {
    run,
    close,
    threads,
    get liveThreads() {
      return piscina.threads.length;
    },
    spawner,
  };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
