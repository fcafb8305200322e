/**
 * How a run's end is classified and put in words. The worker decides the outcome itself:
 * an Error cloned across threads loses its class and fields, a RunResult does not.
 */
import type { RunOutcome, RunResult, StopReason } from './protocol.js';

/** What ended a run from outside, if anything did. The first one wins. */
export type EndCause = { kind: 'lifetime'; ms: number } | { kind: 'stop'; reason: StopReason };

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Verdict {
  status: RunOutcome;
  error: string | null;
  stopReason?: StopReason;
}

const STOP_WORDS: Record<StopReason, string> = {
  cancelled: 'stopped on request',
  replaced: 'stopped: replaced by a newer run',
  shutdown: 'stopped: the server is shutting down',
};

/**
 * `killMode` (the job names processes to kill): reaching the lifetime is the intended end, so it
 * is `completed`; the launcher failing before that is `failed`, and ends the run at once.
 */
export function judge(cause: EndCause | null, exit: Exit | null, killMode: boolean): Verdict {
  if (cause?.kind === 'stop') return { status: 'cancelled', error: STOP_WORDS[cause.reason], stopReason: cause.reason };
  if (cause?.kind === 'lifetime') {
    return killMode ? { status: 'completed', error: null } : { status: 'timed_out', error: `lifetime of ${seconds(cause.ms)} passed` };
  }
  if (exit === null) return { status: 'failed', error: 'the process did not exit after SIGKILL' };
  if (exit.code === 0) return { status: 'completed', error: null };
  if (exit.code !== null) return { status: 'failed', error: `exited with code ${exit.code}` };
  return { status: 'failed', error: `killed by signal ${exit.signal ?? 'unknown'}` };
}

/** A run whose process never started: a spawn error, or a stop that came first. */
export function notStarted(runId: string, cause: EndCause | null, error?: string): RunResult {
  const verdict: Verdict = cause?.kind === 'stop' ? judge(cause, null, false) : { status: 'failed', error: error ?? 'not started' };
  return {
    runId,
    ...verdict,
    exitCode: null,
    signal: null,
    pid: null,
    startedAt: null,
    endedAt: Date.now(),
    tail: '',
    outputBytes: 0,
    truncated: false,
  };
}

/** What is known of a run whose supervisor (its worker thread or its spawner process) died. */
export interface LostRun {
  pid: number | null;
  startedAt: number | null;
  /** Output bytes reported so far. */
  bytes: number;
}

/** The result of a lost run: failed, and SIGKILLed if it had started (its group was killed). */
export function lostResult(runId: string, known: LostRun, error: string): RunResult {
  return {
    runId,
    status: 'failed',
    exitCode: null,
    signal: known.pid === null ? null : 'SIGKILL',
    pid: known.pid,
    startedAt: known.startedAt,
    endedAt: Date.now(),
    error,
    tail: '',
    outputBytes: known.bytes,
    truncated: false,
  };
}

export function describeSpawnError(cmd: string | string[], error: unknown): string {
  const program = typeof cmd === 'string' ? '/bin/sh' : (cmd[0] ?? '');
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const reason =
    code === 'ENOENT' ? 'no such file or directory (ENOENT)'
    : code === 'EACCES' ? 'permission denied (EACCES)'
    : error instanceof Error ? error.message
    : String(error);
  return program === '' ? reason : `cannot start ${program}: ${reason}`;
}

/** 2000 → "2s", 1500 → "1.5s". */
function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))}s`;
}
