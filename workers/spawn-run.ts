/**
 * One run, start to end, without piscina or ports: spawn the command in its own process group,
 * capture its output, enforce the lifetime, honour a stop, and leave nothing of the group alive.
 * `run.ts` wires it to a task's MessagePort; unit tests call it directly.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { appendFile, stat } from 'node:fs/promises';
import { setImmediate as nextTurn, setTimeout as delay } from 'node:timers/promises';
import { endGroup, signalGroup } from './kill-group.js';
import { endNamedProcesses } from './kill-names.js';
import { createLogSink, LOG_FILE_MODE } from './log-sink.js';
import type { RunEvent, RunRequest, RunResult, StopReason } from './protocol.js';
import { describeSpawnError, judge, notStarted, type EndCause, type Exit } from './run-outcome.js';
import { endRunProcesses, RUN_ID_VARIABLE } from './run-sweep.js';
import { inheritedEnv } from './inherited-env.js';

/** A run request as the worker's core takes it: no port, no protocol version. */
export type RunSpec = Omit<RunRequest, 'port' | 'v'>;

export interface RunningProcess {
  /** Resolves once the process group is gone and the log is flushed. Never rejects. */
  readonly result: Promise<RunResult>;
  /** Ends the run (SIGTERM, SIGKILL after grace). Before the spawn, the command is never started. */
  stop(reason: StopReason): void;
}

/** `output` events are wake-ups for log followers: at most one per this many ms. */
export const OUTPUT_EVENT_INTERVAL_MS = 50;
/** After the group is gone, stdio closes at once unless an escaped process holds a pipe. */
const CLOSE_WAIT_MS = 2_000;
/** A SIGKILLed group's main process is reaped within ms; this only bounds a stuck kernel. */
const EXIT_WAIT_MS = 10_000;
/** setTimeout overflows past 2^31-1 ms (~24.8 days) and fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export function startRun(spec: RunSpec, emit: (event: RunEvent) => void): RunningProcess {
  let cause: EndCause | null = null;
  /** Once the outcome is known, a late stop or deadline changes nothing. */
  let decided = false;
  let pid: number | null = null;
  let groupEnding: Promise<void> | null = null;
  let wake: () => void = () => {};
  const causeReached = new Promise<void>((resolve) => (wake = resolve));

  function requestEnd(next: EndCause): void {
    if (cause !== null || decided) return;
    cause = next;
    wake();
    if (pid !== null) {
      const termSentAt = Date.now();
      signalGroup(pid, 'SIGTERM');
      groupEnding = endGroup(pid, spec.graceMs, termSentAt);
    }
  }

  const safeEmit = (event: RunEvent): void => {
    try {
      emit(event);
    } catch {
      // A closed port or a throwing listener must not break the run's supervision.
    }
  };

  async function execute(): Promise<RunResult> {
    // The first await comes before the spawn: a stop already queued on the port is seen first.
    const cwdProblem = await checkCwd(spec.cwd);
    if (spec.notBefore !== undefined) await untilInstant(spec.notBefore, () => cause !== null);
    if (cause?.kind === 'stop') return notStarted(spec.runId, cause);
    if (cwdProblem !== null) return failBeforeStart(cwdProblem);
    let child: ChildProcess;
    try {
      child = spawnCommand(spec.cmd, spec.cwd, { [RUN_ID_VARIABLE]: spec.runId, ...spec.env });
    } catch (error) {
      return failBeforeStart(describeSpawnError(spec.cmd, error));
    }
    if (child.pid === undefined) {
      const error = await new Promise<unknown>((resolve) => child.once('error', resolve));
      child.stdout?.destroy();
      child.stderr?.destroy();
      return failBeforeStart(describeSpawnError(spec.cmd, error));
    }
    return supervise(child, child.pid);
  }

  async function supervise(child: ChildProcess, childPid: number): Promise<RunResult> {
    pid = childPid;
    const startedAt = Date.now();
    // Armed at spawn time so the SIGTERM lands on the deadline, not after our own bookkeeping.
    const lifetime = spec.lifetimeMs === undefined ? null : setLongTimeout(() => requestEnd({ kind: 'lifetime', ms: spec.lifetimeMs! }), spec.lifetimeMs);
    safeEmit({ type: 'started', runId: spec.runId, pid: childPid, startedAt });
    child.on('error', () => {}); // after a successful spawn only a failed kill() lands here; the group kill covers it

    const sink = createLogSink(spec.logPath, spec.logCapBytes, spec.tailBytes);
    let announced = 0;
    let outputTimer: NodeJS.Timeout | null = null;
    const announce = (): void => {
      outputTimer = null;
      if (sink.logBytes === announced) return;
      announced = sink.logBytes;
      safeEmit({ type: 'output', runId: spec.runId, bytes: announced });
    };
    let paused = false;
    const onData = (chunk: Buffer): void => {
      if (!sink.write(chunk) && !paused) {
        paused = true;
        child.stdout?.pause();
        child.stderr?.pause();
        sink.onDrain(() => {
          paused = false;
          child.stdout?.resume();
          child.stderr?.resume();
        });
      }
      outputTimer ??= setTimeout(announce, OUTPUT_EVENT_INTERVAL_MS);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));

    let exit: Exit | null = null;
    if (spec.kill === undefined || spec.kill.length === 0) {
      exit = await exited;
    } else {
      // With `kill` the launcher's success does not end the run: its lifetime (or a stop) does.
      exit = await Promise.race([exited, causeReached.then(() => null)]);
      if (exit !== null && exit.code === 0 && cause === null) await causeReached;
    }
    decided = true;
    lifetime?.clear();
    await nextTurn(); // never start work (a spawn, in pkill's case) from inside libuv's exit callback

    await Promise.all([groupEnding ?? endGroup(childPid, spec.graceMs), spec.kill?.length ? endNamedProcesses(spec.kill, spec.graceMs) : undefined]);
    // Before waiting for the pipes: an escaped daemon that inherited stdout holds them open.
    const strays = spec.sweep === false ? 0 : await endRunProcesses(runIdMarker(spec));
    exit ??= await within(exited, EXIT_WAIT_MS);
    if ((await within(closed, CLOSE_WAIT_MS)) === null) {
      // A process that left the group still holds our pipes; what it writes now is not this run's.
      child.stdout?.destroy();
      child.stderr?.destroy();
    }
    if (outputTimer !== null) clearTimeout(outputTimer);
    const summary = await sink.close();
    announce();
    const verdict = judge(cause, exit, spec.kill !== undefined && spec.kill.length > 0);
    return {
      runId: spec.runId,
      ...verdict,
      exitCode: exit?.code ?? null,
      signal: exit?.signal ?? null,
      pid: childPid,
      startedAt,
      endedAt: Date.now(),
      error: verdict.error ?? (summary.error === null ? null : `output not saved: ${summary.error}`),
      tail: summary.tail,
      outputBytes: summary.outputBytes,
      truncated: summary.truncated,
      ...(summary.error === null ? {} : { logError: summary.error }),
      ...(strays === 0 ? {} : { strays }),
    };
  }

  /** The log says why there is no output; a log that cannot be written changes nothing. */
  async function failBeforeStart(message: string): Promise<RunResult> {
    await appendFile(spec.logPath, `[mxx] ${message}\n`, { mode: LOG_FILE_MODE }).catch(() => {});
    return notStarted(spec.runId, null, message);
  }

  const result = execute().catch(async (error: unknown) => {
    // A bug of ours must not leave the group running nor reject the task.
    if (pid !== null) signalGroup(pid, 'SIGKILL');
    return { ...notStarted(spec.runId, null, `internal error: ${String(error)}`), pid };
  });
  return { result, stop: (reason) => requestEnd({ kind: 'stop', reason }) };
}

function spawnCommand(cmd: string | string[], cwd: string | undefined, env: Record<string, string>): ChildProcess {
  // detached: the run gets its own process group, so the whole tree can be signalled as one.
  const options: SpawnOptions = {
    cwd,
    env: { ...inheritedEnv(), ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    windowsHide: true,
  };
  if (typeof cmd !== 'string') {
    const [program, ...args] = cmd;
    if (program === undefined || program === '') throw new Error('the command is empty');
    return spawn(program, args, options);
  }
  if (process.platform === 'win32') {
    return spawn(process.env.ComSpec ?? 'cmd.exe', ['/d', '/s', '/c', `"${cmd}"`], { ...options, windowsVerbatimArguments: true });
  }
  return spawn('/bin/sh', ['-c', cmd], options);
}

/** Node reports a missing cwd as `spawn /bin/sh ENOENT`, which blames the wrong thing. */
/** Why a run's cwd cannot be used, or null (shared by both spawn paths). */
export async function checkCwd(cwd: string | undefined): Promise<string | null> {
  if (cwd === undefined) return null;
  try {
    return (await stat(cwd)).isDirectory() ? null : `cwd ${cwd} is not a directory`;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? `cwd ${cwd} does not exist` : `cwd ${cwd} cannot be used: ${String(code ?? error)}`;
  }
}

/** setTimeout past 2^31-1 ms, re-armed in steps (shared by both spawn paths). */
export function setLongTimeout(callback: () => void, ms: number): { clear(): void } {
  const at = performance.now() + ms;
  let timer: NodeJS.Timeout;
  const arm = (): void => {
    const left = at - performance.now();
    timer = left > MAX_TIMER_MS ? setTimeout(arm, MAX_TIMER_MS) : setTimeout(callback, Math.max(0, left));
  };
  arm();
  return { clear: () => clearTimeout(timer) };
}

/** The marker the run's processes carry, which the end-of-run sweep looks for. */
function runIdMarker(spec: RunSpec): string {
  return spec.env[RUN_ID_VARIABLE] ?? spec.runId;
}

/**
 * Waits until the wall-clock instant `at`: a timer for most of it, then the event loop's own
 * turns for the last stretch (a timer alone would add up to a millisecond). Returns early when
 * `cancelled()` says so (a stop arrived).
 *
 * `at` comes from the supervisor's Date.now(), so it is compared with Date.now(), never with
 * `performance.timeOrigin + performance.now()`: that one does not follow a wall-clock jump and
 * parked runs for the size of the jump. And a jump back while waiting must not park a run either:
 * the wait never exceeds the delay measured on arrival, counted on the monotonic clock.
 */
async function untilInstant(at: number, cancelled: () => boolean): Promise<void> {
  const SPIN_MS = 1.5;
  const latestAt = performance.now() + Math.max(0, at - Date.now());
  const left = (): number => Math.min(at - Date.now(), latestAt - performance.now());
  for (let wait = left(); wait > 0 && !cancelled(); wait = left()) {
    if (wait > SPIN_MS) await delay(Math.min(wait - SPIN_MS, 1000));
    else await nextTurn();
  }
}

/** The promise's value, or null if it takes longer than `ms`. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  const timeout = new AbortController();
  try {
    return await Promise.race([promise, delay(ms, null, { signal: timeout.signal }).catch(() => null)]);
  } finally {
    timeout.abort();
  }
}
