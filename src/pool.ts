/**
 * The execution pool: piscina threads running `workers/run.ts`, each supervising many runs at
 * once. Every run gets its own MessageChannel (events out, stop in). If a thread dies under a
 * run, the pool itself kills what it knows of the run (its process group) so nothing is orphaned.
 */
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { isGroupAlive, POLL_MS } from '../workers/kill-group.js';
import { endNamedProcesses } from '../workers/kill-names.js';
import { endRunProcesses } from '../workers/run-sweep.js';
import type { RunWorkerData } from '../workers/run.js';
import { PROTOCOL_VERSION, type RunControl, type RunEvent, type RunRequest, type RunResult, type StopReason } from '../workers/protocol.js';

export interface PoolOptions {
  /** Worker threads, started at once and kept. @default os.availableParallelism() */
  threads?: number;
  /** Runs one thread supervises at once; threads × this is the pool's run capacity. @default 32 */
  concurrentTasksPerWorker?: number;
  /**
   * The task module (must speak `workers/protocol.ts`).
   * @default the compiled `dist/workers/run.js`
   */
  workerFile?: string;
  /**
   * Who forks the commands: the worker threads themselves, or one small spawner process per
   * thread. A fork copies the forking process's page tables, so from the server it costs more the
   * bigger the server grows; the spawner stays small. The spawner also ends its runs when the
   * server dies, even by SIGKILL. A request's own `via` wins. Measured (bench/spike-spawner.ts):
   * at the server's natural size spawn latency is the same and throughput ~1.3×; with a 500 MB
   * server, spawn latency is ~0.1× and throughput ~7×. It costs one Node process per thread
   * (~8 MB private memory), started with the thread.
   * @default 'spawner'
   */
  spawner?: 'thread' | 'spawner';
  /** Called with a worker error that hit no run (a run's own crash is reported in its result). @default ignored */
  onError?: (error: unknown) => void;
}

export interface RunHandle {
  readonly runId: string;
  /** Resolves after the last event was delivered. Never rejects: a crash is a `failed` result. */
  readonly result: Promise<RunResult>;
  /** Asks the worker to end the run; sent before the task starts, the command is never spawned. */
  stop(reason: StopReason): void;
}

export interface ExecutionPool {
  run(request: Omit<RunRequest, 'port' | 'v'>, onEvent: (event: RunEvent) => void): RunHandle;
  /**
   * Destroys the threads. Stop runs first for a graceful end: runs still in flight are killed
   * (SIGKILL to their groups) and resolve `failed`. Resolves once every run has settled.
   */
  close(): Promise<void>;
  readonly threads: number;
}

/** If the worker has not ended a stopped run well after its grace, the pool SIGKILLs the group. */
const STOP_BACKSTOP_MS = 5_000;
/** How long a crashed run's killed group may take to disappear before we report anyway. */
const CRASH_KILL_WAIT_MS = 5_000;

export function createPool(options: PoolOptions = {}): ExecutionPool {
  const threads = options.threads ?? os.availableParallelism();
  const via = options.spawner ?? 'spawner';
  const piscina = new Piscina({
    filename: options.workerFile ?? defaultWorkerFile(),
    minThreads: threads,
    maxThreads: threads,
    concurrentTasksPerWorker: options.concurrentTasksPerWorker ?? 32,
    // 'sync' parks idle threads and freezes a run's pending timers until the next task arrives.
    atomics: 'disabled',
    idleTimeout: 24 * 60 * 60 * 1000,
    workerData: { via } satisfies RunWorkerData,
  });
  // An unhandled 'error' event would throw in the supervisor's thread.
  piscina.on('error', (error: unknown) => options.onError?.(error));
  const inFlight = new Set<Promise<RunResult>>();
  let closing: Promise<void> | null = null;

  function run(request: Omit<RunRequest, 'port' | 'v'>, onEvent: (event: RunEvent) => void): RunHandle {
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
        options.onError?.(error);
      }
    };
    // Events posted just before the task resolved may still sit in the port: hand them over first.
    const drain = (): void => {
      for (let queued = receiveMessageOnPort(port1); queued !== undefined; queued = receiveMessageOnPort(port1)) deliver(queued.message);
    };
    port1.on('message', deliver);

    const task = piscina.run({ ...request, via: request.via ?? via, v: PROTOCOL_VERSION, port: port2 } satisfies RunRequest, { transferList: [port2] }) as Promise<RunResult>;
    const result = (async (): Promise<RunResult> => {
      try {
        const outcome = await task;
        drain();
        return outcome;
      } catch (error) {
        drain();
        const why = closing !== null ? 'the execution pool was closed during the run' : `worker crashed: ${errorMessage(error)}`;
        return await recoverCrashedRun(request, { pid, startedAt, bytes }, why);
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
          if (!settled && pid !== null) killGroup(pid);
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

  return { run, close, threads };
}

/**
 * From source (vitest), `import.meta.url` is `src/pool.ts` and threads cannot load TypeScript:
 * use the build in `dist/`. Compiled, this file is `dist/src/pool.js`, next to `dist/workers/`.
 */
function defaultWorkerFile(): string {
  const here = import.meta.url;
  return fileURLToPath(here.endsWith('.ts') ? new URL('../dist/workers/run.js', here) : new URL('../workers/run.js', here));
}

/** The thread that supervised the run is gone: end what it started and report the run failed. */
async function recoverCrashedRun(
  request: Omit<RunRequest, 'port' | 'v'>,
  known: { pid: number | null; startedAt: number | null; bytes: number },
  error: string,
): Promise<RunResult> {
  const { pid } = known;
  if (pid !== null) {
    killGroup(pid);
    const giveUpAt = Date.now() + CRASH_KILL_WAIT_MS;
    while (Date.now() < giveUpAt && (await isGroupAlive(pid))) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  if (pid !== null && request.kill !== undefined) await endNamedProcesses(request.kill, 0);
  // Daemons that left the group still carry the run's id.
  if (request.sweep !== false) await endRunProcesses(request.env.MXX_RUN_ID ?? request.runId);
  return {
    runId: request.runId,
    status: 'failed',
    exitCode: null,
    signal: pid === null ? null : 'SIGKILL',
    pid,
    startedAt: known.startedAt,
    endedAt: Date.now(),
    error,
    tail: '',
    outputBytes: known.bytes,
    truncated: false,
  };
}

function killGroup(pid: number): void {
  try {
    process.kill(process.platform === 'win32' ? pid : -pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
