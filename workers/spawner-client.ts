/**
 * The worker thread's side of the spawner: one spawner process per thread, started on the first
 * run that asks for it and again after it dies. A run handed to it looks to `run.ts` like one
 * started with `startRun` (same events, same result, same stop).
 *
 * If the spawner dies under a run, the thread SIGKILLs the run's process group itself (it knows
 * the pid from `started`) and reports the run `failed`, as the pool does for a dead thread.
 */
import { spawn } from 'node:child_process';
import { appendFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { endGroup, signalGroup } from './kill-group.js';
import { endNamedProcesses } from './kill-names.js';
import { LOG_FILE_MODE } from './log-sink.js';
import type { RunEvent, RunResult } from './protocol.js';
import { endRunProcesses, RUN_ID_VARIABLE } from './run-sweep.js';
import type { RunningProcess, RunSpec } from './spawn-run.js';
import { createLineReader, createLineWriter, type SpawnerReply, type SpawnerRequest } from './spawner-wire.js';

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
  try {
    if (current === null || current.exited()) (current = createSpawner()).hold(false);
  } catch {
    // The first run will try again and report why it could not.
  }
}

/** Runs `spec` in this thread's spawner process (started if needed). */
export function startRunInSpawner(spec: RunSpec, emit: (event: RunEvent) => void): RunningProcess {
  let resolve!: (result: RunResult) => void;
  const result = new Promise<RunResult>((done) => (resolve = done));
  let spawner: Spawner;
  try {
    // One that has exited but not yet closed its pipes would take the run only to fail it.
    if (current?.exited()) current = null;
    spawner = current ??= createSpawner();
  } catch (error) {
    resolve(failed({ spec, emit, resolve, pid: null, startedAt: null, bytes: 0 }, `cannot start the spawner process: ${String(error)}`));
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

/** The spawner is gone: end what it started for this run and report the run failed. */
async function recover(run: PendingRun, error: string): Promise<RunResult> {
  const { pid, spec } = run;
  if (pid !== null) {
    signalGroup(pid, 'SIGKILL');
    await endGroup(pid, 0, Date.now());
    if (spec.kill !== undefined && spec.kill.length > 0) await endNamedProcesses(spec.kill, 0);
    if (spec.sweep !== false) await endRunProcesses(spec.env[RUN_ID_VARIABLE] ?? spec.runId);
  }
  await appendFile(spec.logPath, `\n[mxx] ${error}\n`, { mode: LOG_FILE_MODE }).catch(() => {});
  return failed(run, error);
}

function failed(run: PendingRun, error: string): RunResult {
  return {
    runId: run.spec.runId,
    status: 'failed',
    exitCode: null,
    signal: run.pid === null ? null : 'SIGKILL',
    pid: run.pid,
    startedAt: run.startedAt,
    endedAt: Date.now(),
    error,
    tail: '',
    outputBytes: run.bytes,
    truncated: false,
  };
}

/** Compiled, this file sits next to `spawner.js`; from source (vitest), use the build in dist/. */
function spawnerFile(): string {
  const here = import.meta.url;
  return fileURLToPath(here.endsWith('.ts') ? new URL('../dist/workers/spawner.js', here) : new URL('./spawner.js', here));
}
