/**
 * The supervisor's side of a cluster (several servers on one PostgreSQL store): every fire is
 * claimed before it runs (one server wins each; a job running elsewhere makes it a skip), fires a
 * dead server left are run again here within misfire_grace_time, a lost lease stops this server's
 * runs, and the other servers' changes (jobs, stops) are applied here.
 */
import { MxxError } from '../errors.js';
import { toIsoLocal } from '../records.js';
import type { Logger } from '../logger.js';
import type { Cluster } from '../cluster/index.js';
import type { Change } from '../store/postgres/changes.js';
import { RUNS_CHANGE } from '../store/postgres/history.js';
import type { StoreError } from '../store/postgres/errors.js';
import type { TakenFire } from '../store/postgres/fires.js';
import type { InterruptedRun } from '../store/postgres/runs.js';
import { placementMismatch } from '../job/placement.js';
import type { JobTable } from './job-table.js';
import type { FireOutcome, RunEngine } from './run-engine.js';
import { createRunId } from './run-id.js';
import { OutageFires } from './outage-fires.js';
import { newRecord, notRunRecord } from './run-record.js';
import type { FireRequest, Job } from './types.js';

export interface ClusterHost {
  readonly table: JobTable;
  readonly engine: RunEngine;
  readonly logger: Logger;
  isOpen(): boolean;
  /** Reads one job again from the store and applies it (installed, re-armed, paused or removed). */
  applyJob(id: string): Promise<void>;
  /** Reads every job again (after the change listener lost notices). */
  resync(): Promise<void>;
  /** Reads the runs the other servers recorded since the last time (a 'runs' notice). */
  pullRuns(): Promise<unknown>;
  /** Writes the run records held in memory (those the store refused while it was down). */
  flushHistory(): Promise<void>;
}

/**
 * After a store outage, how long a server waits before it claims the outage's fires: every
 * server notices the store is back within a heartbeat retry (500 ms) and then writes the ends of
 * the runs that finished meanwhile; a claim before that would take such a run for one still
 * running and skip the fire.
 */
export const OUTAGE_SETTLE_MS = 1000;

export interface ClusterFireOptions {
  /** Record the fire as missed with this reason (if this server wins it) instead of running it. */
  missed?: string;
  /** A fire this server already holds (taken over): no new claim row. */
  takenOver?: boolean;
  /** A fire claimed after a store outage: the server that wins it says so in the log. */
  afterOutage?: boolean;
}

export class ClusterLink {
  /** Scheduled fires the store could not be asked about (an outage): claimed once it is back. */
  private readonly outage = new OutageFires();
  /** The wait before the outage's fires are claimed (OUTAGE_SETTLE_MS), while it runs. */
  private settling: NodeJS.Timeout | undefined;
  /** Changes heard before the jobs were loaded; applied by started(). */
  private early: Change[] | null = [];

  constructor(
    readonly cluster: Cluster,
    private readonly host: ClusterHost,
  ) {}

  /** The jobs are loaded and armed: apply the changes heard meanwhile, from now on at once. */
  started(): void {
    const early = this.early ?? [];
    this.early = null;
    for (const change of early) this.onChange(change);
  }

  /** Claims a scheduled fire; runs it (or records it missed/skipped) only if this server won it. */
  async fire(job: Job, request: FireRequest, options: ClusterFireOptions = {}): Promise<void> {
    const { engine, table, logger } = this.host;
    const req: FireRequest = { ...request, runId: request.runId ?? createRunId() };
    const labels = job.def.placement?.labels ?? [];
    const misplaced = placementMismatch(job.def.placement, this.cluster.labels);
    let missed = options.missed;
    try {
      if (misplaced !== null) {
        // Another server with the labels runs it; with none alive, one server records it missed.
        if (await this.cluster.anyNodeWith(labels)) return;
        missed = `job ${job.id} ${misplaced}, and no live server has them`;
      }
      const outcome = await this.cluster.claim({
        jobId: job.id,
        scheduledAt: req.scheduledAt === null ? null : new Date(req.scheduledAt),
        takenOver: options.takenOver === true,
        runId: req.runId!,
        groupJobs: table.withGroup(job).filter((other) => other !== job).map((other) => other.id),
        maxRuns: job.def.policy.overlap === 'allow' ? job.def.policy.max_instances : 1,
        localRuns: job.active.size,
        record: { ...newRecord(job, req), status: missed === undefined ? 'running' : 'missed' },
      });
      if (outcome.kind === 'lost' || outcome.kind === 'fenced') return;
      if (table.get(job.id) !== job || !this.host.isOpen()) {
        engine.recordEnded(notRunRecord(job, req, 'missed', `the job changed or the server stopped while its fire was being claimed`));
      } else if (outcome.kind === 'busy') {
        engine.recordEnded(notRunRecord(job, req, 'skipped', busyReason(job, outcome.runs)));
      } else if (missed !== undefined) {
        if (options.afterOutage) logger.warn(`job ${job.id}: ${missed}`);
        engine.recordEnded(notRunRecord(job, req, 'missed', missed));
      } else {
        if (options.afterOutage) logger.info(`job ${job.id}: the fire at ${toIsoLocal(req.scheduledAt!)} runs now, late: the store could not be reached at its time`, { run: req.runId! });
        engine.fire(job, req);
      }
    } catch (error) {
      // The store did not answer: nobody may have won, so nothing is recorded now. Once it answers
      // again, the fire is claimed late (within misfire_grace_time) or recorded missed (storeBack).
      logger.warn(`job ${job.id}: could not claim the fire at ${req.scheduledAt === null ? 'now' : new Date(req.scheduledAt).toISOString()}: ${error instanceof Error ? error.message : String(error)}`);
      if (req.trigger === 'schedule' && req.scheduledAt !== null && missed === undefined && options.takenOver !== true) {
        this.outage.note(job, req.scheduledAt);
      }
    }
  }

  /** The store answers again: the fires nobody could claim meanwhile run late once, or are recorded missed. */
  storeBack(): void {
    // The ends of this server's runs that finished while the store was down, now, not at the next retry.
    void this.host.flushHistory().catch(() => undefined);
    if (this.outage.size === 0 || this.settling !== undefined) return;
    this.settling = setTimeout(() => {
      this.settling = undefined;
      this.claimOutageFires();
    }, OUTAGE_SETTLE_MS);
    this.settling.unref();
  }

  private claimOutageFires(): void {
    if (this.outage.size === 0 || !this.host.isOpen()) return;
    const { table } = this.host;
    // Every server drains the same fires; the claims decide which one records or runs each.
    for (const { job, run, missed } of this.outage.drain(Date.now(), (j) => table.get(j.id) === j)) {
      if (missed) void this.fire(job, missed.request, { missed: missed.reason, afterOutage: true });
      if (run) void this.fire(job, run, { afterOutage: true });
    }
  }

  /** A manual run: checked against the job's runs on every server; JOB_BUSY when one blocks it. */
  async trigger(job: Job): Promise<FireOutcome> {
    const req: FireRequest = { trigger: 'manual', scheduledAt: Date.now(), attempt: 0, runId: createRunId() };
    if (placementMismatch(job.def.placement, this.cluster.labels) !== null) return this.host.engine.fire(job, req);
    const outcome = await this.cluster.claim({
      jobId: job.id,
      scheduledAt: null,
      runId: req.runId!,
      groupJobs: this.host.table.withGroup(job).filter((other) => other !== job).map((other) => other.id),
      maxRuns: job.def.policy.overlap === 'allow' ? job.def.policy.max_instances : 1,
      localRuns: job.active.size,
      record: newRecord(job, req) as unknown as Record<string, unknown>,
    });
    if (outcome.kind === 'busy') return { kind: 'skipped', reason: busyReason(job, outcome.runs) };
    if (outcome.kind !== 'won') {
      throw new MxxError('STORAGE_UNAVAILABLE', `job ${job.id} was not started: this server holds no live lease in the store right now`, {
        hint: 'retry in a moment, or through another server',
      });
    }
    return this.host.engine.fire(job, req);
  }

  /** Fires a dead server left: run again within misfire_grace_time, unless they had started. */
  onTakeover(fires: TakenFire[], interrupted: InterruptedRun[], from: string): void {
    if (interrupted.length > 0) {
      // The runs just marked interrupted: shown here, and on the other servers.
      void this.host.pullRuns().catch(() => undefined);
      if (from !== this.cluster.nodeId) void this.cluster.notify(RUNS_CHANGE, from).catch(() => undefined);
    }
    const started = new Set(interrupted.map((run) => run.runId));
    const now = Date.now();
    for (const fire of fires) {
      const job = this.host.table.get(fire.jobId);
      if (!job || job.entry.paused) continue;
      const request: FireRequest = { trigger: 'schedule', scheduledAt: fire.scheduledAt.getTime(), attempt: 0 };
      if (fire.previousRunId !== null && started.has(fire.previousRunId)) {
        // It had started there: it may still be running (a frozen server's children go on), and a
        // fire runs at most once. Its run is recorded interrupted.
        continue;
      }
      const late = now - fire.scheduledAt.getTime();
      const grace = job.def.policy.misfire_grace_time * 1000;
      void this.fire(job, request, {
        takenOver: true,
        ...(late > grace ? { missed: `server ${from} stopped before running this fire, ${Math.round(late / 1000)}s ago (more than misfire_grace_time)` } : {}),
      });
    }
  }

  /** The lease is gone: every run of this server stops (its records already say interrupted in the store). */
  async onFenced(_error: StoreError): Promise<void> {
    const runs = [...this.host.engine.runs.values()];
    for (const run of runs) this.host.engine.stop(run, 'shutdown');
    await Promise.all(runs.map((run) => run.done));
  }

  onChange(change: Change): void {
    if (this.early) {
      this.early.push(change);
      return;
    }
    const { logger } = this.host;
    const failed = (error: unknown) => logger.warn(`could not apply the change of ${change.kind} ${change.id} made on server ${change.origin ?? '?'}: ${error instanceof Error ? error.message : String(error)}`);
    if (change.kind === 'job') void this.host.applyJob(change.id).catch(failed);
    else if (change.kind === 'stop') this.stopLocal(change.id);
    else if (change.kind === RUNS_CHANGE) void this.host.pullRuns().catch(failed);
  }

  onResync(): void {
    if (this.early) return;
    void this.host.resync().catch((error: unknown) => this.host.logger.warn(`could not read the jobs again: ${error instanceof Error ? error.message : String(error)}`));
  }

  /** Stops this server's runs of a job (a stop asked for on another server). */
  private stopLocal(jobId: string): void {
    const job = this.host.table.get(jobId);
    if (!job) return;
    for (const run of [...job.active.values(), ...(job.pending ? [job.pending] : [])]) this.host.engine.stop(run, 'cancelled');
  }

  /** Asks the other servers to stop the job's runs, and waits (≤ timeoutMs) until the store has them ended. */
  async stopElsewhere(jobId: string, timeoutMs = 60_000): Promise<string[]> {
    const db = this.cluster.db;
    const live = async () =>
      (
        await db.query<{ run_id: string }>(
          `job ${jobId}: could not read its runs on other servers`,
          `SELECT run_id FROM mxx_runs WHERE job_id = $1 AND node_id <> $2 AND state IN ('queued', 'running')`,
          [jobId, this.cluster.nodeId],
        )
      ).rows.map((r) => r.run_id);
    const remote = await live();
    if (remote.length === 0) return [];
    await this.cluster.notify('stop', jobId);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const still = new Set(await live());
      if (!remote.some((id) => still.has(id))) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return remote;
  }
}

function busyReason(job: Job, runs: { runId: string; jobId: string; nodeId: string }[]): string {
  const where = runs.map((r) => `${r.jobId}/${r.runId} on server ${r.nodeId}`).join(', ');
  const group = job.def.policy.group;
  return runs.some((r) => r.jobId !== job.id) && group
    ? `group "${group}" is busy (${where})`
    : `job ${job.id} is already running (${where})`;
}
