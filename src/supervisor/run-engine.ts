/**
 * From a fire to a recorded run: the overlap decision, the queued fire, replacement, the hand-off
 * to the concurrency gate, retries, and the run's final record.
 */
import type { History } from '../history/index.js';
import type { ExecutionPool } from '../pool.js';
import { runLogFile, type MxxPaths } from '../paths.js';
import { toIsoLocal, type RunRecord } from '../records.js';
import type { RunResult, StopReason } from '../../workers/protocol.js';
import type { EventHub } from '../events/hub.js';
import type { RunCounters } from './counters.js';
import { Dispatcher } from './dispatch.js';
import type { FaultLog } from './faults.js';
import type { JobTable } from './job-table.js';
import { applyResult, endUnlaunched } from './outcome.js';
import { decideOverlap } from './policy.js';
import { newRecord, notRunRecord } from './run-record.js';
import { touch, type ActiveRun, type FireRequest, type Job } from './types.js';
import { setWallTimer } from './wall-timer.js';
import { placementMismatch } from '../job/placement.js';

export type FireOutcome =
  | { kind: 'started' | 'queued'; run: ActiveRun }
  | { kind: 'skipped'; reason: string }
  /** This server may not run the job ([placement] labels it lacks); a scheduled fire was recorded missed. */
  | { kind: 'missed'; reason: string };

export interface RunEngineOptions {
  paths: MxxPaths;
  pool: ExecutionPool;
  table: JobTable;
  history: History;
  counters: RunCounters;
  maxConcurrency: number;
  logCapBytes: number;
  tailBytes: number;
  /** This server's labels, for jobs' [placement]. */
  labels: readonly string[];
  /** This server's id in a cluster: every record it makes names it (`node`). */
  node?: string;
  faults: FaultLog;
  /** Where run.queued, run.started, run.ended, run.skipped and run.missed go. */
  events: EventHub;
  onOutput(run: ActiveRun): void;
  /** Every record that reached a final state (runs, skips, misses). */
  onEnded(record: RunRecord): void;
  /** A job's run ended and it may prune its logs. */
  onJobRunEnded(job: Job): void;
}

const RETRYABLE = new Set(['failed', 'timed_out']);
/** Doubling retry delays stop growing at one year. */
const MAX_RETRY_DELAY_MS = 365 * 24 * 3600 * 1000;

export class RunEngine {
  /** Runs accepted and not yet ended (in the gate, in the pool, or queued behind a run). */
  readonly runs = new Map<string, ActiveRun>();
  private readonly dispatcher: Dispatcher;
  private closing = false;

  constructor(private readonly options: RunEngineOptions) {
    this.dispatcher = new Dispatcher({
      pool: options.pool,
      maxConcurrency: options.maxConcurrency,
      logCapBytes: options.logCapBytes,
      tailBytes: options.tailBytes,
      logPath: (run) => runLogFile(options.paths, run.jobId, run.runId),
      faults: options.faults,
      recorded: (run) => options.history.written(run.jobId),
      // Its record was written before the process started; the pid and start time are shown from memory.
      onStarted: (run) => {
        // A run that waited for a slot is running now (its record on disk may still say queued:
        // after a crash both read as in progress).
        run.record.status = 'running';
        touch(options.table.get(run.jobId));
        const { record } = run;
        // Several servers: the others see a run only through the store, so its start (pid, time) is written too.
        if (options.node !== undefined) this.record({ ...record });
        options.events.emit('run.started', { ...runFields(record), pid: record.pid, started_at: record.started_at });
      },
      onOutput: (run) => options.onOutput(run),
      onEnded: (run, result, reason) => this.onRunEnded(run, result, reason),
    });
  }

  get queued(): number {
    return this.dispatcher.queued;
  }

  /** Applies the overlap policy to one fire; starts, queues or records a skip. */
  fire(job: Job, request: FireRequest): FireOutcome {
    const misplaced = placementMismatch(job.def.placement, this.options.labels);
    if (misplaced !== null) {
      const reason = `job ${job.id} ${misplaced}`;
      if (request.trigger !== 'manual') this.recordEnded(notRunRecord(job, request, 'missed', reason));
      return { kind: 'missed', reason };
    }
    const decision = decideOverlap(job, this.options.table.groupRuns(job));
    switch (decision.action) {
      case 'start':
        return { kind: 'started', run: this.start(job, this.newRun(job, request)) };
      case 'queue': {
        const run = this.newRun(job, request);
        run.record.status = 'queued';
        job.pending = run;
        touch(job);
        this.runs.set(run.runId, run);
        this.record(run.record);
        this.options.events.emit('run.queued', { ...runFields(run.record), reason: 'overlap' });
        return { kind: 'queued', run };
      }
      case 'replace': {
        const run = this.newRun(job, request);
        this.accept(job, run);
        for (const victim of decision.victims) this.stop(victim, 'replaced', run.runId);
        void Promise.all(decision.victims.map((v) => v.done)).then(() => {
          if (run.stopReason) this.endUnlaunched(run, run.stopReason, 'stopped before it started');
          else if (this.closing) this.endUnlaunched(run, 'shutdown', 'the server shut down before it started');
          else this.submit(job, run);
        });
        return { kind: 'started', run };
      }
      case 'skip':
        if (request.trigger !== 'manual') {
          this.recordEnded(notRunRecord(job, request, 'skipped', decision.reason));
        }
        return { kind: 'skipped', reason: decision.reason };
    }
  }

  /** Stops a run wherever it is: queued behind another run, waiting for a slot, or running. */
  stop(run: ActiveRun, reason: StopReason, replacedBy?: string): void {
    if (replacedBy) run.replacedBy = replacedBy;
    if (this.options.table.get(run.jobId)?.pending === run) {
      this.endUnlaunched(run, reason, 'stopped while queued');
      return;
    }
    run.stopReason ??= reason;
    this.dispatcher.stop(run, reason);
  }

  /** A record that is final as it is written (skipped, missed, interrupted). */
  recordEnded(record: RunRecord): void {
    this.record(record);
    this.ended(record);
  }

  /** Stops everything and resolves when every run has ended. No new run starts after this. */
  async shutdown(): Promise<void> {
    this.closing = true;
    this.dispatcher.drainWaiting('shutdown');
    const runs = [...this.runs.values()];
    for (const run of runs) this.stop(run, 'shutdown');
    await Promise.all(runs.map((run) => run.done));
  }

  private newRun(job: Job, request: FireRequest): ActiveRun {
    const record = newRecord(job, request);
    let resolveDone!: () => void;
    const done = new Promise<void>((resolve) => (resolveDone = resolve));
    return { runId: record.run_id, jobId: job.id, record, request, outputBytes: 0, done, resolveDone };
  }

  private start(job: Job, run: ActiveRun): ActiveRun {
    this.accept(job, run);
    this.submit(job, run);
    return run;
  }

  private accept(job: Job, run: ActiveRun): void {
    job.active.set(run.runId, run);
    touch(job);
    this.runs.set(run.runId, run);
    job.entry.execution_count++;
    job.entry.last_triggered = toIsoLocal(Date.now());
    this.options.counters.markDirty(job.id);
  }

  private submit(job: Job, run: ActiveRun): void {
    // Written before its process can start (the dispatcher waits for the write), so a crash of the
    // server finds it and marks it interrupted instead of running the same fire again.
    const waits = this.dispatcher.willWait();
    run.record.status = waits ? 'queued' : 'running';
    this.record(run.record);
    if (waits) this.options.events.emit('run.queued', { ...runFields(run.record), reason: 'concurrency' });
    this.dispatcher.submit(run, job.def);
  }

  private record(record: RunRecord): void {
    if (this.options.node !== undefined) record.node ??= this.options.node;
    touch(this.options.table.get(record.job_id));
    this.options.history.record(record, this.options.table.keepFor(record.job_id));
  }

  private onRunEnded(run: ActiveRun, result: RunResult | null, reason?: StopReason): void {
    if (result === null) {
      this.endUnlaunched(run, reason ?? 'cancelled', 'stopped while waiting for a free slot');
      return;
    }
    if (result.logError) {
      this.options.faults.report('log', `run ${run.runId} of job ${run.jobId}: ${result.logError}; its output is kept in the run record's tail`, {
        job: run.jobId,
        run: run.runId,
      });
    }
    this.finish(run, applyResult(run.record, result, run.replacedBy));
    const job = this.options.table.get(run.jobId);
    if (job && !this.closing && RETRYABLE.has(result.status) && run.request.attempt < job.def.policy.retries) {
      this.scheduleRetry(job, run.request.attempt);
    }
  }

  private scheduleRetry(job: Job, attempt: number): void {
    // A wall-clock timer: long delays are slept in chunks (setTimeout fires at once past ~24.8 days).
    const delay = Math.min(job.def.policy.retry_delay * 1000 * 2 ** attempt, MAX_RETRY_DELAY_MS);
    const timer = setWallTimer(Date.now() + delay, () => {
      job.retryTimers.delete(timer);
      if (this.options.table.get(job.id) === job && !this.closing) {
        this.fire(job, { trigger: 'retry', scheduledAt: Date.now(), attempt: attempt + 1 });
      }
    });
    job.retryTimers.add(timer);
  }

  private endUnlaunched(run: ActiveRun, reason: StopReason, error: string): void {
    const status = reason === 'shutdown' ? 'interrupted' : 'cancelled';
    this.finish(run, endUnlaunched(run.record, status, error, Date.now()));
  }

  private finish(run: ActiveRun, record: RunRecord): void {
    run.record = record;
    const job = this.options.table.get(run.jobId);
    if (job?.pending === run) job.pending = null;
    job?.active.delete(run.runId);
    touch(job);
    this.runs.delete(run.runId);
    this.record(record);
    run.resolveDone();
    this.ended(record);
    if (job && !this.closing) {
      setImmediate(() => this.startPending(job));
      this.options.onJobRunEnded(job);
    }
  }

  /** Every final record: its event, then the supervisor's listeners. */
  private ended(record: RunRecord): void {
    emitEnded(this.options.events, record);
    this.options.onEnded(record);
  }

  /** After a run ends: the job's queued fire, then its group's, may start now. */
  private startPending(job: Job): void {
    const { table } = this.options;
    for (const candidate of table.withGroup(job)) {
      const pending = candidate.pending;
      if (!pending || candidate.active.size > 0 || table.groupRuns(candidate).length > 0) continue;
      candidate.pending = null;
      this.start(candidate, pending);
    }
  }
}

function runFields(record: RunRecord): { job_id: string; run_id: string; trigger: RunRecord['trigger']; scheduled_at: string | null } {
  return { job_id: record.job_id, run_id: record.run_id, trigger: record.trigger, scheduled_at: record.scheduled_at };
}

/** run.skipped / run.missed for records that never ran, run.ended for every other final record. */
export function emitEnded(events: EventHub, record: RunRecord): void {
  if (record.status === 'skipped' || record.status === 'missed') {
    events.emit(record.status === 'skipped' ? 'run.skipped' : 'run.missed', { ...runFields(record), reason: record.error });
    return;
  }
  events.emit('run.ended', {
    ...runFields(record),
    status: record.status,
    exit_code: record.exit_code,
    signal: record.signal,
    duration_ms: record.duration_ms,
    started_at: record.started_at,
    ended_at: record.ended_at,
    error: record.error,
    attempt: record.attempt,
  });
}
