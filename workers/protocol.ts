/**
 * Messages between the supervisor and the run worker. Plain, structured-cloneable objects;
 * `v` is bumped on any incompatible change (2: how to fork moved from each request to the
 * thread's `RunWorkerData`). Both sides import this file; workers import nothing outside
 * `workers/` but Node built-ins.
 */
import type { MessagePort } from 'node:worker_threads';

export const PROTOCOL_VERSION = 2;

/**
 * Who forks a run's command: the worker thread itself, or the thread's spawner process (a small
 * helper whose fork stays cheap however big the server grows, and which ends its runs if the
 * server dies). The pool decides, once for all its threads (`PoolOptions.spawner`).
 */
export type Via = 'thread' | 'spawner';

/** What the pool tells each thread when it starts it (piscina's `workerData`). */
export interface RunWorkerData {
  /** How this thread forks every run it is given; with 'spawner' it starts its spawner at once. */
  via: Via;
}

/** What the supervisor asks a worker to run. */
export interface RunRequest {
  v: typeof PROTOCOL_VERSION;
  runId: string;
  jobId: string;
  /** A string runs through `/bin/sh -c`; an array runs without a shell. */
  cmd: string | string[];
  cwd?: string;
  /**
   * Added to the environment the server started with: the job's `env` and MXX_*. Sending only
   * these (not a copy of process.env per run) keeps each dispatch small.
   */
  env: Record<string, string>;
  /** Time limit in ms; absent = none. */
  lifetimeMs?: number;
  /**
   * Epoch ms: spawn no earlier than this. The supervisor dispatches scheduled fires a few ms
   * ahead, so the thread and process hops happen before the instant and only the spawn after it.
   */
  notBefore?: number;
  /** ms between SIGTERM and SIGKILL. */
  graceMs: number;
  /** Process names to end when the run ends; with `kill` set the run lasts its full lifetime. */
  kill?: string[];
  /** Absolute path of the run's log file (its folder exists). */
  logPath: string;
  /** Log file cap in bytes; past it output is dropped and a truncation note is written. */
  logCapBytes: number;
  /** How many bytes of the output's end to keep for the run record. */
  tailBytes: number;
  /**
   * At the run's end, also end the processes that left its group but still carry its MXX_RUN_ID
   * (daemons, `setsid`, double forks; Linux /proc). Off only to measure what it costs.
   * @default true
   */
  sweep?: boolean;
  /** This task's own channel: events go out on it, control messages come in. */
  port: MessagePort;
}

/** Worker → supervisor, over the task's port. */
export type RunEvent =
  | { type: 'started'; runId: string; pid: number; startedAt: number }
  /** Output arrived; `bytes` is the log size so far. Batched; a wake-up, not the data itself. */
  | { type: 'output'; runId: string; bytes: number };

/** Supervisor → worker, over the task's port. */
export type RunControl = { type: 'stop'; reason: StopReason };

export type StopReason = 'cancelled' | 'replaced' | 'shutdown';

export type RunOutcome = 'completed' | 'failed' | 'timed_out' | 'cancelled';

/** What the worker's task resolves with. A failed run is a result, never a thrown error. */
export interface RunResult {
  runId: string;
  status: RunOutcome;
  exitCode: number | null;
  signal: string | null;
  pid: number | null;
  /** epoch ms; null when the process never started (spawn error). */
  startedAt: number | null;
  endedAt: number;
  /** Why it failed or was stopped, in words (spawn error message, "lifetime of 60s passed", ...). */
  error: string | null;
  /** When stopped: the reason given by the supervisor. */
  stopReason?: StopReason;
  /** The last `tailBytes` of output, decoded as UTF-8. */
  tail: string;
  /** Bytes of output the process wrote (including what was dropped past the cap). */
  outputBytes: number;
  truncated: boolean;
  /**
   * Why the log file stopped being written, or could never be opened ("ENOSPC: no space left on
   * device, write"). The run itself went on; its output after that point is only in `tail`.
   */
  logError?: string;
  /** How many processes had left the run's process group and were ended by the end-of-run sweep. */
  strays?: number;
}
