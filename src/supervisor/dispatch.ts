/**
 * The global concurrency gate and the hand-off to the execution pool. Runs above the limit wait in
 * fire order; a run leaving the pool frees its slot for the oldest waiting one.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { RunEvent, RunResult, StopReason } from '../../workers/protocol.js';
import type { ExecutionPool } from '../pool.js';
import type { FaultLog } from './faults.js';
import type { JobDefinition } from '../job/types.js';
import { toIsoLocal } from '../records.js';
import { Fifo } from './fifo.js';
import type { ActiveRun } from './types.js';

export interface DispatcherOptions {
  pool: ExecutionPool;
  maxConcurrency: number;
  logCapBytes: number;
  tailBytes: number;
  logPath(run: ActiveRun): string;
  faults: FaultLog;
  /**
   * Resolves once the run's record is written (rejects if it could not be): its process starts
   * only then, so a crash of the server always finds the run in the history and never runs the
   * same fire again.
   */
  recorded(run: ActiveRun): Promise<void>;
  /** The run was accepted by the pool's worker: pid known. */
  onStarted(run: ActiveRun): void;
  onOutput(run: ActiveRun): void;
  /** The run ended (in the pool, or stopped while waiting: then `result` is null). */
  onEnded(run: ActiveRun, result: RunResult | null, reason?: StopReason): void;
}

export class Dispatcher {
  private readonly waiting = new Fifo<{ run: ActiveRun; def: JobDefinition }>();
  private inPool = 0;

  constructor(private readonly options: DispatcherOptions) {}

  get running(): number {
    return this.inPool;
  }

  get queued(): number {
    return this.waiting.size;
  }

  /** Whether a run submitted now would wait for a slot. */
  willWait(): boolean {
    return this.inPool >= this.options.maxConcurrency || this.waiting.size > 0;
  }

  /** Runs `run` now if a slot is free, else queues it. Returns whether it had to wait. */
  submit(run: ActiveRun, def: JobDefinition): boolean {
    if (!this.willWait()) {
      this.launch(run, def);
      return false;
    }
    this.waiting.push({ run, def });
    return true;
  }

  /** Stops a run wherever it is. */
  stop(run: ActiveRun, reason: StopReason): void {
    if (run.handle) {
      run.handle.stop(reason);
      return;
    }
    run.stopReason ??= reason;
    for (const item of this.waiting) {
      if (item.run === run) {
        this.waiting.remove(item);
        this.options.onEnded(run, null, reason);
        return;
      }
    }
  }

  private launch(run: ActiveRun, def: JobDefinition): void {
    this.inPool++;
    const logPath = this.options.logPath(run);
    // Not cached: the folder goes away when a job's runs are cleared, or by hand.
    try {
      mkdirSync(dirname(logPath), { recursive: true, mode: 0o700 });
    } catch (error) {
      // A full or read-only disk fails this run, never the server (this may run in a timer).
      const reason = `could not create the log folder ${dirname(logPath)}: ${(error as Error).message}`;
      this.options.faults.report('log', `run ${run.runId} of job ${run.jobId} failed: ${reason}`, { job: run.jobId, run: run.runId });
      // Ended on the next turn, so the caller (a fire, a trigger) sees a run that was accepted.
      setImmediate(() => this.ended(run, failedBeforeStart(run, reason)));
      return;
    }
    this.options.recorded(run).then(
      () => {
        // Stopped (a user, a replacement, shutdown) while its record was being written.
        if (run.stopReason) {
          this.inPool--;
          this.options.onEnded(run, null, run.stopReason);
          setImmediate(() => this.pump());
        } else this.spawn(run, def, logPath);
      },
      (error: unknown) => {
        const reason = `could not record the run in the history: ${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message}`;
        this.options.faults.report('history', `run ${run.runId} of job ${run.jobId} failed: ${reason}`, { job: run.jobId, run: run.runId });
        this.ended(run, failedBeforeStart(run, reason));
      },
    );
  }

  private spawn(run: ActiveRun, def: JobDefinition, logPath: string): void {
    const scheduledAt = run.request.scheduledAt ?? Date.now();
    const handle = this.options.pool.run(
      {
        runId: run.runId,
        jobId: run.jobId,
        cmd: def.os.cmd,
        ...(def.os.cwd === undefined ? {} : { cwd: def.os.cwd }),
        env: {
          ...def.os.env,
          MXX_JOB_ID: run.jobId,
          MXX_RUN_ID: run.runId,
          MXX_SCHEDULED_AT: toIsoLocal(scheduledAt),
        },
        ...(def.lifetime.lifetime === undefined ? {} : { lifetimeMs: def.lifetime.lifetime * 1000 }),
        ...(run.request.notBefore !== undefined && run.request.notBefore > Date.now() ? { notBefore: run.request.notBefore } : {}),
        graceMs: def.lifetime.grace * 1000,
        ...(def.os.kill ? { kill: def.os.kill } : {}),
        logPath,
        logCapBytes: this.options.logCapBytes,
        tailBytes: this.options.tailBytes,
      },
      (event: RunEvent) => this.onEvent(run, event),
    );
    run.handle = handle;
    if (run.stopReason) handle.stop(run.stopReason);
    handle.result.then(
      (result) => this.ended(run, result),
      (error: unknown) =>
        this.ended(run, failedBeforeStart(run, `execution pool failed: ${error instanceof Error ? error.message : String(error)}`)),
    );
  }

  private onEvent(run: ActiveRun, event: RunEvent): void {
    if (event.type === 'started') {
      run.record.pid = event.pid;
      run.record.started_at = toIsoLocal(event.startedAt);
      this.options.onStarted(run);
    } else {
      run.outputBytes = event.bytes;
      this.options.onOutput(run);
    }
  }

  private ended(run: ActiveRun, result: RunResult): void {
    this.inPool--;
    this.options.onEnded(run, result);
    // Never start the next spawn from inside the exit path: spawning from a child's exit handler with
    // four or more children in flight stalled that thread's timers for seconds.
    setImmediate(() => this.pump());
  }

  private pump(): void {
    while (this.inPool < this.options.maxConcurrency) {
      const next = this.waiting.shift();
      if (!next) return;
      this.launch(next.run, next.def);
    }
  }

  /** Ends every waiting run (shutdown). */
  drainWaiting(reason: StopReason): void {
    for (let item = this.waiting.shift(); item; item = this.waiting.shift()) {
      this.options.onEnded(item.run, null, reason);
    }
  }
}

/** The result of a run that failed before its process started (or whose worker was lost). */
function failedBeforeStart(run: ActiveRun, error: string): RunResult {
  return {
    runId: run.runId,
    status: 'failed',
    exitCode: null,
    signal: null,
    pid: run.record.pid,
    startedAt: null,
    endedAt: Date.now(),
    error,
    tail: '',
    outputBytes: 0,
    truncated: false,
  };
}
