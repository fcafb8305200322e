/**
 * Fakes for testing the supervisor's policy logic without processes or real time: a pool whose
 * runs the test starts and ends by hand, an in-memory history whose writes the test can hold back,
 * and jobs built from real job documents. Use them with vitest's fake timers where time matters.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { History } from '../src/history/index.js';
import { mergeRecent, newestIdFirst } from '../src/history/recent.js';
import { parseJobDocument } from '../src/job/parse.js';
import type { JobDefinition } from '../src/job/types.js';
import { silentLogger, type Logger } from '../src/logger.js';
import { resolvePaths, type MxxPaths } from '../src/paths.js';
import type { ExecutionPool, RunHandle } from '../src/pool.js';
import { toIsoLocal, type RegistryEntry, type RunRecord } from '../src/records.js';
import type { RunCounters } from '../src/supervisor/counters.js';
import { JobTable } from '../src/supervisor/job-table.js';
import { newRecord } from '../src/supervisor/run-record.js';
import type { ActiveRun, Job } from '../src/supervisor/types.js';
import type { RunEvent, RunRequest, RunResult, StopReason } from '../workers/protocol.js';

/**
 * What `vi.useFakeTimers({ toFake: FAKED })` fakes: the clock and timers, not setImmediate (the
 * supervisor's "next turn"; vitest's fake one runs only the first of a chain), so a test flushes
 * turns with a real setImmediate and moves time with `vi.advanceTimersByTimeAsync`.
 */
export const FAKED: Array<'setTimeout' | 'clearTimeout' | 'setInterval' | 'clearInterval' | 'Date'> = [
  'setTimeout',
  'clearTimeout',
  'setInterval',
  'clearInterval',
  'Date',
];

/** Lets queued turns (setImmediate) and settled promises run; no time passes. */
export async function nextTurns(n = 3): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

// ── jobs ────────────────────────────────────────────────────────────────────

/** A job definition from a job document, parsed as a job file would be. */
export function jobDef(id: string, doc: Record<string, unknown> = {}): JobDefinition {
  return parseJobDocument({ os: { cmd: 'true' }, ...doc }, { id, source: 'test' });
}

/** The registry entry of a job registered at `registeredAt`. */
export function entryOf(def: JobDefinition, registeredAt = Date.now()): RegistryEntry {
  return {
    job_id: def.id,
    config: def.config,
    schedule: def.scheduleDoc ?? null,
    source: 'api',
    registered_at: toIsoLocal(registeredAt),
    last_triggered: null,
    execution_count: 0,
    paused: false,
  };
}

/** A job table holding these jobs (installed as the supervisor installs them). */
export function jobTable(...defs: JobDefinition[]): JobTable {
  const table = new JobTable();
  for (const def of defs) table.install(def, entryOf(def));
  return table;
}

/** A job on its own, outside any table (its group has no other member). */
export function soloJob(id: string, doc: Record<string, unknown> = {}, registeredAt = Date.now()): Job {
  const def = jobDef(id, doc);
  return new JobTable().install(def, entryOf(def, registeredAt));
}

/** A run in progress of `job` (as the run engine would have accepted it), for the overlap decision. */
export function activeRun(jobId: string, runId: string): ActiveRun {
  const record = newRecord({ id: jobId }, { trigger: 'schedule', scheduledAt: Date.now(), attempt: 0 }, runId);
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  return { runId, jobId, record, request: { trigger: 'schedule', scheduledAt: Date.now(), attempt: 0 }, outputBytes: 0, done, resolveDone };
}

/** Puts `n` runs in progress on the job (returns them). */
export function busy(job: Job, n = 1): ActiveRun[] {
  const runs = Array.from({ length: n }, (_, i) => activeRun(job.id, `${job.id}-run${job.active.size + i + 1}`));
  for (const run of runs) job.active.set(run.runId, run);
  return runs;
}

// ── the pool ────────────────────────────────────────────────────────────────

export type RunRequestSent = Omit<RunRequest, 'port' | 'v'>;

/** One run handed to the fake pool. The test says when it starts and how it ends. */
export interface FakeRun {
  readonly request: RunRequestSent;
  /** Stop reasons the pool was asked for, in order. */
  readonly stops: StopReason[];
  /** Whether its result was delivered. */
  readonly ended: boolean;
  /** Sends the worker's `started` event. */
  start(pid?: number): void;
  /** Sends an output wake-up. */
  output(bytes: number): void;
  /** Delivers the result: `completed` with exit 0 unless told otherwise. */
  end(result?: Partial<RunResult>): void;
}

export interface FakePool extends ExecutionPool {
  /** Every run handed to the pool, in the order it was handed over. */
  readonly runs: FakeRun[];
  /** Runs whose result was not delivered yet. */
  inFlight(): FakeRun[];
  /** The run of this run id (throws if the pool never got it). */
  run_(runId: string): FakeRun;
  readonly closed: boolean;
}

export interface FakePoolOptions {
  /**
   * End a run as `cancelled` (with the stop reason) as soon as it is asked to stop, as the real
   * worker does after its grace. Off: the test ends stopped runs itself. @default true
   */
  endOnStop?: boolean;
}

let nextPid = 10_000;

export function createFakePool(options: FakePoolOptions = {}): FakePool {
  const endOnStop = options.endOnStop ?? true;
  const runs: FakeRun[] = [];
  let closed = false;
  const pool: FakePool = {
    runs,
    threads: 1,
    liveThreads: 1,
    get closed() {
      return closed;
    },
    inFlight: () => runs.filter((run) => !run.ended),
    run_(runId) {
      const run = runs.find((r) => r.request.runId === runId);
      if (!run) throw new Error(`the pool never got run ${runId}`);
      return run;
    },
    run(request, onEvent: (event: RunEvent) => void): RunHandle {
      if (closed) throw new Error('the pool is closed');
      let resolve!: (result: RunResult) => void;
      const result = new Promise<RunResult>((r) => (resolve = r));
      let pid: number | null = null;
      let startedAt: number | null = null;
      const stops: StopReason[] = [];
      const run: FakeRun = {
        request,
        stops,
        ended: false,
        start(givenPid = nextPid++) {
          pid = givenPid;
          startedAt = Date.now();
          onEvent({ type: 'started', runId: request.runId, pid, startedAt });
        },
        output(bytes) {
          onEvent({ type: 'output', runId: request.runId, bytes });
        },
        end(partial = {}) {
          if (run.ended) throw new Error(`run ${request.runId} already ended`);
          (run as { ended: boolean }).ended = true;
          resolve({
            runId: request.runId,
            status: 'completed',
            exitCode: 0,
            signal: null,
            pid,
            startedAt,
            endedAt: Date.now(),
            error: null,
            tail: '',
            outputBytes: 0,
            truncated: false,
            ...partial,
          });
        },
      };
      runs.push(run);
      return {
        runId: request.runId,
        result,
        stop(reason) {
          stops.push(reason);
          if (endOnStop && !run.ended) {
            run.end({ status: 'cancelled', stopReason: reason, exitCode: null, signal: startedAt === null ? null : 'SIGTERM' });
          }
        },
      };
    },
    async close() {
      closed = true;
    },
  };
  return pool;
}

// ── the history ─────────────────────────────────────────────────────────────

export interface FakeHistory extends History {
  /** Every record as it was recorded, in order (a run appears once per state change). */
  readonly recorded: RunRecord[];
  /**
   * Holds back `written()`: the promises it hands out settle only on `release()` (or `fail()`).
   */
  hold(): void;
  release(): void;
  fail(error: Error): void;
  /** The newest record of each run of the job, in recording order of their first line. */
  runsOf(jobId: string): RunRecord[];
}

/** An in-memory History: records are kept as they come, `written()` resolves at once unless held. */
export function createFakeHistory(): FakeHistory {
  const recorded: RunRecord[] = [];
  const byRun = new Map<string, RunRecord>();
  let held: Array<{ resolve: () => void; reject: (error: Error) => void }> | null = null;
  const runsOf = (jobId: string): RunRecord[] => [...byRun.values()].filter((r) => r.job_id === jobId);
  return {
    recorded,
    runsOf,
    hold() {
      held ??= [];
    },
    release() {
      const waiting = held ?? [];
      held = null;
      for (const w of waiting) w.resolve();
    },
    fail(error) {
      const waiting = held ?? [];
      held = null;
      for (const w of waiting) w.reject(error);
    },
    async load() {},
    record(rec) {
      recorded.push({ ...rec });
      byRun.set(rec.run_id, { ...rec });
    },
    list: (jobId, limit = Infinity) => runsOf(jobId).reverse().slice(0, limit),
    get: (runId) => byRun.get(runId),
    latest: (jobId) => runsOf(jobId).at(-1),
    unfinished: () => [...byRun.values()].filter((r) => r.status === 'running' || r.status === 'queued'),
    async clear(jobId) {
      for (const r of runsOf(jobId)) byRun.delete(r.run_id);
    },
    count: (jobId) => runsOf(jobId).length,
    recent(query, current) {
      const jobIds = query.jobs?.length ? query.jobs : [...new Set([...byRun.values()].map((r) => r.job_id))];
      const sources = jobIds.map((jobId) => ({ ids: runsOf(jobId).map((r) => r.run_id).sort(newestIdFirst), get: (id: string) => byRun.get(id)! }));
      return mergeRecent(sources, query, current);
    },
    async flush() {},
    written() {
      if (!held) return Promise.resolve();
      return new Promise<void>((resolve, reject) => held!.push({ resolve, reject }));
    },
    writeErrors: 0,
  };
}

// ── the rest of a run engine's surroundings ─────────────────────────────────

/** RunCounters that only count what was marked (the real one writes the registry). */
export function fakeCounters(): RunCounters & { marked: string[] } {
  const marked: string[] = [];
  return { marked, markDirty: (id: string) => void marked.push(id), flush() {} } as unknown as RunCounters & { marked: string[] };
}

/** A temporary ~/.mxx for the run logs' folders; `remove()` when done. */
export function tempPaths(): MxxPaths & { remove(): void } {
  const home = mkdtempSync(join(tmpdir(), 'mxx-fake-'));
  return { ...resolvePaths({ home }), remove: () => rmSync(home, { recursive: true, force: true }) };
}

/** A logger that keeps its lines (level and message) for assertions. */
export function captureLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const write = (level: string) => (message: string) => void lines.push(`${level} ${message}`);
  return { ...silentLogger, level: 'debug', lines, debug: write('DEBUG'), info: write('INFO'), warn: write('WARN'), error: write('ERROR') };
}
