/**
 * The worker thread's side of the compiled spawn helper (native/mxx-spawn.c): one helper process
 * per thread, started with the thread and again for the next run after it died. A run handed to
 * it looks to `run.ts` like one started with `startRun` (same events, same result, same stop).
 *
 * The helper spawns, captures output (log file, cap, tail) and reports started / exit / summary;
 * lifetime, stops, the group's end, `kill` names and the sweep are decided here, with the same
 * modules `startRun` uses. If the helper dies under a run, the thread ends what the run started
 * (workers/lost-run.ts) and reports it `failed`, as with the Node spawner.
 *
 * The wire is native/PROTOCOL.md: requests are NUL-separated fields, replies are lines (a summary
 * line is followed by its raw error and tail bytes).
 */
import { spawn } from 'node:child_process';
import { appendFile } from 'node:fs/promises';
import { constants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { setImmediate as nextTurn, setTimeout as delay } from 'node:timers/promises';
import { endGroup, signalGroup } from './kill-group.js';
import { endNamedProcesses } from './kill-names.js';
import { LOG_FILE_MODE } from './log-sink.js';
import { recoverLostRun } from './lost-run.js';
import type { RunEvent, RunResult, StopReason } from './protocol.js';
import { describeSpawnError, judge, notStarted, type EndCause, type Exit } from './run-outcome.js';
import { endRunProcesses, RUN_ID_VARIABLE } from './run-sweep.js';
import { checkCwd, setLongTimeout, type RunningProcess, type RunSpec } from './spawn-run.js';
import { inheritedEnv } from './inherited-env.js';

/** After the group is gone the helper closes the pipes within 2 s; this bounds a stuck helper. */
const SUMMARY_WAIT_MS = 10_000;
/** A SIGKILLed group's main process is reaped within ms; this only bounds a stuck kernel. */
const EXIT_WAIT_MS = 10_000;

const SIGNAL_NAMES = new Map<number, NodeJS.Signals>(Object.entries(constants.signals).map(([name, n]) => [n, name as NodeJS.Signals]));

interface Summary {
  outputBytes: number;
  truncated: boolean;
  error: string | null;
  tail: string;
}

/** What the helper tells one run, in order: started or failed/not-started, output, exit, summary. */
interface RunChannel {
  spec: RunSpec;
  onStarted(pid: number, startedAt: number): void;
  onOutput(bytes: number): void;
  onSpawnFailed(code: string, errno: number): void;
  onNotStarted(): void;
  onExit(exit: Exit): void;
  onSummary(summary: Summary): void;
  onLost(why: string): void;
  /** What is known for a recovery: pid, start time, bytes. */
  known: { pid: number | null; startedAt: number | null; bytes: number };
}

interface Helper {
  send(fields: string[]): void;
  readonly runs: Map<number, RunChannel>;
  hold(busy: boolean): void;
  exited(): boolean;
}

let current: Helper | null = null;
let nextId = 1;

/** Starts this thread's helper ahead of its first run. Idle, it does not keep the thread alive. */
export function prestartNativeSpawner(path: string): void {
  try {
    if (current === null || current.exited()) (current = createHelper(path)).hold(false);
  } catch {
    // The first run will try again and report why it could not.
  }
}

export function startRunInNativeSpawner(path: string, spec: RunSpec, emit: (event: RunEvent) => void): RunningProcess {
  let cause: EndCause | null = null;
  let decided = false;
  let pid: number | null = null;
  let groupEnding: Promise<void> | null = null;
  let wake: () => void = () => {};
  const causeReached = new Promise<void>((resolve) => (wake = resolve));
  let helper: Helper | null = null;
  const id = nextId++;
  let sent = false;

  const safeEmit = (event: RunEvent): void => {
    try {
      emit(event);
    } catch {
      // A closed port or a throwing listener must not break the run's supervision.
    }
  };

  function requestEnd(next: EndCause): void {
    if (cause !== null || decided) return;
    cause = next;
    wake();
    if (pid !== null) {
      const termSentAt = Date.now();
      signalGroup(pid, 'SIGTERM');
      groupEnding = endGroup(pid, spec.graceMs, termSentAt);
    } else if (sent && helper?.runs.get(id) !== undefined) {
      helper.send(['stop', String(id)]);
    }
  }

  let lifetime: { clear(): void } | null = null;
  let started!: (value: { pid: number; startedAt: number } | { failed: string } | { notStarted: true }) => void;
  const startOutcome = new Promise<{ pid: number; startedAt: number } | { failed: string } | { notStarted: true }>((resolve) => (started = resolve));
  let exitSeen!: (exit: Exit) => void;
  const exited = new Promise<Exit>((resolve) => (exitSeen = resolve));
  let summarized!: (summary: Summary) => void;
  const summary = new Promise<Summary>((resolve) => (summarized = resolve));
  let lose!: (why: string) => void;
  const lost = new Promise<string>((resolve) => (lose = resolve));

  const channel: RunChannel = {
    spec,
    known: { pid: null, startedAt: null, bytes: 0 },
    onStarted(childPid, startedAt) {
      pid = childPid;
      channel.known.pid = childPid;
      channel.known.startedAt = startedAt;
      if (spec.lifetimeMs !== undefined) {
        const ms = spec.lifetimeMs;
        lifetime = setLongTimeout(() => requestEnd({ kind: 'lifetime', ms }), Math.max(0, ms - (Date.now() - startedAt)));
      }
      safeEmit({ type: 'started', runId: spec.runId, pid: childPid, startedAt });
      // A stop that came while the spawn was already under way: the group exists now, end it.
      if (cause !== null && groupEnding === null) {
        signalGroup(childPid, 'SIGTERM');
        groupEnding = endGroup(childPid, spec.graceMs, Date.now());
      }
      started({ pid: childPid, startedAt });
    },
    onOutput(bytes) {
      channel.known.bytes = bytes;
      safeEmit({ type: 'output', runId: spec.runId, bytes });
    },
    onSpawnFailed(code, errno) {
      const error = Object.assign(new Error(`spawn ${code} (errno ${errno})`), { code });
      started({ failed: describeSpawnError(spec.cmd, error) });
    },
    onNotStarted: () => started({ notStarted: true }),
    onExit: (exit) => exitSeen(exit),
    onSummary: (s) => summarized(s),
    onLost: (why) => lose(why),
  };

  async function execute(): Promise<RunResult> {
    const problem = (await checkCwd(spec.cwd)) ?? commandProblem(spec);
    if (cause?.kind === 'stop') return notStarted(spec.runId, cause);
    if (problem !== null) return failBeforeStart(problem);
    try {
      if (current?.exited()) current = null;
      helper = current ??= createHelper(path);
    } catch (error) {
      return failBeforeStart(`cannot start the spawn helper ${path}: ${String(error)}`);
    }
    helper.runs.set(id, channel);
    helper.hold(true);
    helper.send(runFields(id, spec));
    sent = true;
    const outcome = await startOutcome;
    if ('failed' in outcome) return failBeforeStart(outcome.failed);
    if ('notStarted' in outcome) return notStarted(spec.runId, cause);
    const childPid = outcome.pid;
    const killMode = spec.kill !== undefined && spec.kill.length > 0;
    let exit: Exit | null;
    if (!killMode) {
      exit = await exited;
    } else {
      // With `kill` the launcher's success does not end the run: its lifetime (or a stop) does.
      exit = await Promise.race([exited, causeReached.then(() => null)]);
      if (exit !== null && exit.code === 0 && cause === null) await causeReached;
    }
    decided = true;
    lifetime?.clear();
    await nextTurn();
    await Promise.all([groupEnding ?? endGroup(childPid, spec.graceMs), killMode ? endNamedProcesses(spec.kill!, spec.graceMs) : undefined]);
    const strays = spec.sweep === false ? 0 : await endRunProcesses(spec.env[RUN_ID_VARIABLE] ?? spec.runId);
    exit ??= await within(exited, EXIT_WAIT_MS);
    helper.send(['done', String(id)]);
    const s = (await within(summary, SUMMARY_WAIT_MS)) ?? { outputBytes: channel.known.bytes, truncated: false, error: 'the spawn helper sent no summary', tail: '' };
    const verdict = judge(cause, exit, killMode);
    return {
      runId: spec.runId,
      ...verdict,
      exitCode: exit?.code ?? null,
      signal: exit?.signal ?? null,
      pid: childPid,
      startedAt: outcome.startedAt,
      endedAt: Date.now(),
      error: verdict.error ?? (s.error === null ? null : `output not saved: ${s.error}`),
      tail: s.tail,
      outputBytes: s.outputBytes,
      truncated: s.truncated,
      ...(s.error === null ? {} : { logError: s.error }),
      ...(strays === 0 ? {} : { strays }),
    };
  }

  async function failBeforeStart(message: string): Promise<RunResult> {
    await appendFile(spec.logPath, `[mxx] ${message}\n`, { mode: LOG_FILE_MODE }).catch(() => {});
    return notStarted(spec.runId, null, message);
  }

  const supervised = execute().catch(async (error: unknown) => {
    if (pid !== null) signalGroup(pid, 'SIGKILL');
    return { ...notStarted(spec.runId, null, `internal error: ${String(error)}`), pid };
  });
  const recovered = lost.then(async (why) => {
    lifetime?.clear();
    decided = true;
    const result = await recoverLostRun(spec, channel.known, why);
    await appendFile(spec.logPath, `\n[mxx] ${why}\n`, { mode: LOG_FILE_MODE }).catch(() => {});
    return result;
  });
  const result = Promise.race([supervised, recovered]).finally(() => {
    if (helper?.runs.get(id) === channel) {
      helper.runs.delete(id);
      if (helper.runs.size === 0) helper.hold(false);
    }
  });
  return { result, stop: (reason: StopReason) => requestEnd({ kind: 'stop', reason }) };
}

/** The run request's fields (native/PROTOCOL.md). */
function runFields(id: number, spec: RunSpec): string[] {
  const shell = typeof spec.cmd === 'string';
  const argv = shell ? ['/bin/sh', '-c', spec.cmd as string] : (spec.cmd as string[]);
  const env = Object.entries({ [RUN_ID_VARIABLE]: spec.runId, ...spec.env }).map(([k, v]) => `${k}=${v}`);
  const cap = Number.isFinite(spec.logCapBytes) ? Math.max(0, Math.floor(spec.logCapBytes)) : -1;
  return [
    'run',
    String(id),
    String(spec.notBefore === undefined ? -1 : Math.ceil(spec.notBefore)),
    String(Date.now()),
    spec.cwd ?? '',
    spec.logPath,
    String(cap),
    String(Math.max(0, Math.floor(spec.tailBytes))),
    String(Math.max(0, Math.floor(spec.graceMs))),
    spec.sweep === false ? '' : (spec.env[RUN_ID_VARIABLE] ?? spec.runId),
    shell ? '1' : '0',
    String(argv.length),
    ...argv,
    String(env.length),
    ...env,
  ];
}

/** What Node's spawn would refuse before forking: an empty command, a NUL in an argument. */
function commandProblem(spec: RunSpec): string | null {
  if (typeof spec.cmd !== 'string' && (spec.cmd[0] === undefined || spec.cmd[0] === '')) return 'the command is empty';
  const all = [...(typeof spec.cmd === 'string' ? [spec.cmd] : spec.cmd), ...Object.entries(spec.env).flat(), spec.cwd ?? '', spec.logPath];
  return all.some((value) => value.includes('\0')) ? 'the command, its env, cwd or log path holds a NUL byte' : null;
}

function createHelper(path: string): Helper {
  const runs = new Map<number, RunChannel>();
  // Own process group: a signal to the server's group must not take it down before it has
  // stopped its runs. It ends when its stdin closes instead.
  // argv[0] (and, on Linux, the name it gives itself) says mxx-spawner, as the Node spawner's does.
  const child = spawn(path, [], { argv0: 'mxx-spawner', env: inheritedEnv(), stdio: ['pipe', 'pipe', 'inherit'], detached: true });
  const stdin = child.stdin as Writable;
  const stdout = child.stdout as Readable & { ref(): void; unref(): void };
  stdin.on('error', () => {}); // EPIPE: the helper died; 'close' below deals with it
  let batch: string[] = [];
  const flush = (): void => {
    const data = batch.join('');
    batch = [];
    if (!stdin.destroyed && stdin.writable) stdin.write(data);
  };
  let dead = false;
  const self: Helper = {
    runs,
    send(fields) {
      if (batch.length === 0) process.nextTick(flush);
      batch.push(`${fields.join('\0')}\0`);
    },
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
  stdout.on('data', createReplyReader(runs));
  const die = (why: string): void => {
    if (dead) return;
    dead = true;
    if (current === self) current = null;
    setImmediate(() => {
      for (const run of runs.values()) run.onLost(`the spawner process died (${why})`);
    });
  };
  child.on('close', (code, signal) => die(signal === null ? `exit code ${code}` : `signal ${signal}`));
  child.on('error', (error) => {
    die(error.message);
    child.stdout?.destroy();
  });
  return self;
}

/** Replies: `S id pid startedAt`, `O id bytes`, `F id CODE errno`, `N id`, `E id code signal`, `X id out trunc errLen tailLen` + bytes. */
function createReplyReader(runs: Map<number, RunChannel>): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    let at = 0;
    for (;;) {
      const end = pending.indexOf(0x0a, at);
      if (end < 0) break;
      const words = pending.toString('latin1', at, end).split(' ');
      const [kind, idText] = words;
      const n = (i: number): number => Number(words[i]);
      if (kind === 'X') {
        const errorLength = n(4);
        const tailLength = n(5);
        if (pending.length < end + 1 + errorLength + tailLength) break;
        const error = pending.toString('utf8', end + 1, end + 1 + errorLength);
        const tail = decodeTail(pending.subarray(end + 1 + errorLength, end + 1 + errorLength + tailLength), n(2) > tailLength);
        at = end + 1 + errorLength + tailLength;
        runs.get(Number(idText))?.onSummary({ outputBytes: n(2), truncated: words[3] === '1', error: errorLength === 0 ? null : error, tail });
        continue;
      }
      at = end + 1;
      const run = runs.get(Number(idText));
      if (run === undefined) continue;
      if (kind === 'S') run.onStarted(n(2), n(3));
      else if (kind === 'O') run.onOutput(n(2));
      else if (kind === 'F') run.onSpawnFailed(words[2] ?? 'EUNKNOWN', n(3));
      else if (kind === 'N') run.onNotStarted();
      else if (kind === 'E') run.onExit(n(2) >= 0 ? { code: n(2), signal: null } : { code: null, signal: SIGNAL_NAMES.get(n(3)) ?? (`SIG${n(3)}` as NodeJS.Signals) });
    }
    pending = pending.subarray(at);
  };
}

/** The tail as text; a multi-byte character cut at its start is dropped, not mangled (as log-sink.ts). */
function decodeTail(bytes: Buffer, cut: boolean): string {
  let start = 0;
  if (cut) for (let skipped = 0; skipped < 3 && start < bytes.length && (bytes[start]! & 0xc0) === 0x80; skipped++) start++;
  return bytes.subarray(start).toString('utf8');
}

async function within<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  const timeout = new AbortController();
  try {
    return await Promise.race([promise, delay(ms, null, { signal: timeout.signal }).catch(() => null)]);
  } finally {
    timeout.abort();
  }
}
