/**
 * The worker thread's side of the spawner: one spawner process per thread, started with the
 * thread (when the pool forks from spawners) and again for the next run after it died. A run
 * handed to it looks to `run.ts` like one started with `startRun` (same events, same result,
 * same stop).
 *
 * If the spawner dies under a run, the thread ends what the run started itself (workers/lost-run.ts:
 * it knows the pid from `started`) and reports the run `failed`, as the pool does for a dead thread.
 */
import { spawn } from 'node:child_process';
import { workerData } from 'node:worker_threads';
import { appendFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { recoverLostRun } from './lost-run.js';
import { LOG_FILE_MODE } from './log-sink.js';
import type { RunEvent, RunResult } from './protocol.js';
import { lostResult } from './run-outcome.js';
import type { RunningProcess, RunSpec } from './spawn-run.js';
import { createLineReader, createLineWriter, type SpawnerReply, type SpawnerRequest } from './spawner-wire.js';
import { prestartNativeSpawner, startRunInNativeSpawner } from './native-spawner.js';
import type { SpawnerWorkerData } from './spawner-select.js';
import { inheritedEnv } from './inherited-env.js';

/** The compiled helper's path when the pool chose it (workers/spawner-select.ts), else the Node spawner. */
const nativeSpawner = (workerData as Partial<SpawnerWorkerData> | null | undefined)?.nativeSpawner;

interface PendingRun {
  spec: RunSpec;
  emit: (event: RunEvent) => void;
  resolve: (result: RunResult) => void;
  pid: number | null;
  startedAt: number | null;
  bytes: number;
}

interface Spawner {
  send(request: SpawnerRequest): void;
  readonly runs: Map<string, PendingRun>;
  /** Keeps the thread's event loop alive only while runs are in flight. */
  hold(busy: boolean): void;
  exited(): boolean;
}

let current: Spawner | null = null;

/**
 * Starts this thread's spawner ahead of its first run (Node takes ~70 ms to boot, which the first
 * fire should not wait for). Idle, it does not keep the thread alive.
 */
export function prestartSpawner(): void {
  if (nativeSpawner !== undefined) return prestartNativeSpawner(nativeSpawner);
  try {
    if (current === null || current.exited()) (current = createSpawner()).hold(false);
  } catch {
    // The first run will try again and report why it could not.
  }
}

/** Runs `spec` in this thread's spawner process (started if needed). */
export function startRunInSpawner(spec: RunSpec, emit: (event: RunEvent) => void): RunningProcess {
  if (nativeSpawner !== undefined) return startRunInNativeSpawner(nativeSpawner, spec, emit);
  let resolve!: (result: RunResult) => void;
  const result = new Promise<RunResult>((done) => (resolve = done));
  let spawner: Spawner;
  try {
    // One that has exited but not yet closed its pipes would take the run only to fail it.
    if (current?.exited()) current = null;
    spawner = current ??= createSpawner();
  } catch (error) {
    resolve(lostResult(spec.runId, { pid: null, startedAt: null, bytes: 0 }, `cannot start the spawner process: ${String(error)}`));
    return { result, stop: () => {} };
  }
  const run: PendingRun = { spec, emit, resolve, pid: null, startedAt: null, bytes: 0 };
  spawner.runs.set(spec.runId, run);
  spawner.hold(true);
  spawner.send({ type: 'run', spec });
  return {
    result,
    stop(reason) {
      if (spawner.runs.get(spec.runId) === run) spawner.send({ type: 'stop', runId: spec.runId, reason });
    },
  };
}

function createSpawner(): Spawner {
  const runs = new Map<string, PendingRun>();
  // Own process group: a signal to the server's group (Ctrl-C, `kill -- -pgid`) must not take the
  // spawner down before it has stopped its runs. It ends when its stdin closes instead.
  const child = spawn(process.execPath, [spawnerFile()], {
    env: inheritedEnv(), // the spawner's environment is every run's: no server secrets in it
    stdio: ['pipe', 'pipe', 'inherit'],
    detached: process.platform !== 'win32',
    windowsHide: true,
  });
  const stdout = child.stdout as Socket;
  const send = createLineWriter<SpawnerRequest>(child.stdin!);
  child.stdin!.on('error', () => {}); // EPIPE: the spawner died; 'close' below deals with it

  let dead = false;
  const self: Spawner = {
    send,
    runs,
    exited: () => dead || child.exitCode !== null || child.signalCode !== null,
    hold(busy) {
      if (busy) {
        child.ref();
        stdout.ref();
      } else {
        child.unref();
        stdout.unref();
      }
    },
  };

  stdout.setEncoding('utf8');
  stdout.on(
    'data',
    createLineReader((line) => {
      let reply: SpawnerReply;
      try {
        reply = JSON.parse(line) as SpawnerReply;
      } catch {
        process.stderr.write(`mxx: ignoring a line from the spawner that is not JSON: ${line.slice(0, 200)}\n`);
        return;
      }
      if (reply.type === 'event') deliver(runs.get(reply.event.runId), reply.event);
      else settle(reply.result.runId, reply.result);
    }),
  );

  function settle(runId: string, result: RunResult): void {
    const run = runs.get(runId);
    if (run === undefined) return;
    runs.delete(runId);
    if (runs.size === 0) self.hold(false);
    run.resolve(result);
  }

  const die = (why: string): void => {
    if (dead) return;
    dead = true;
    if (current === self) current = null;
    // Not from inside libuv's exit callback: killing may spawn (taskkill, pgrep).
    setImmediate(() => {
      for (const run of runs.values()) void recover(run, `the spawner process died (${why})`).then((result) => settle(run.spec.runId, result));
    });
  };
  // 'close' comes after the spawner's last output was read: results it sent before dying count.
  child.on('close', (code, signal) => die(signal === null ? `exit code ${code}` : `signal ${signal}`));
  child.on('error', (error) => {
    die(error.message);
    child.stdout?.destroy();
  });
  return self;
}

function deliver(run: PendingRun | undefined, event: RunEvent): void {
  if (run === undefined) return;
  if (event.type === 'started') ({ pid: run.pid, startedAt: run.startedAt } = event);
  else run.bytes = event.bytes;
  run.emit(event);
}

/** The spawner is gone: end what it started for this run, say so in its log, report it failed. */
async function recover(run: PendingRun, error: string): Promise<RunResult> {
  const result = await recoverLostRun(run.spec, run, error);
  await appendFile(run.spec.logPath, `\n[mxx] ${error}\n`, { mode: LOG_FILE_MODE }).catch(() => {});
  return result;
}

/**
 * The spawner's module, next to this one. This code runs only in a worker thread, and a thread
 * loads the compiled workers (`dist/workers/`), so the sibling is always the compiled spawner.
 */
function spawnerFile(): string {
  return fileURLToPath(new URL('./spawner.js', import.meta.url));
}
