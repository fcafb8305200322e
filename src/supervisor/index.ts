/**
 * The supervisor: owns the registry, the timers, the overlap and concurrency policy and run
 * history; dispatches runs to the execution pool. The API, the job-file loader and the watcher
 * call its methods; it never parses HTTP or files itself.
 */
import { EventEmitter } from 'node:events';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { ActionBody, JobStatusBody, RegisterBody, TriggerBody } from '../api/types.js';
import { MxxError } from '../errors.js';
import { createHistory, type History } from '../history.js';
import { parseJobDocument } from '../job/parse.js';
import { createSchedule } from '../job/schedule.js';
import type { JobDefinition } from '../job/types.js';
import { createLogger, type Logger } from '../logger.js';
import { createPool, type ExecutionPool, type PoolOptions } from '../pool.js';
import { runLogFile, type MxxPaths } from '../paths.js';
import { toIsoLocal, type JobSource, type RegistryEntry, type RunRecord } from '../records.js';
import { createRegistry, type Registry } from '../registry.js';
import type { RunResult, StopReason } from '../../workers/protocol.js';
import { catchUpMisfires } from './catch-up.js';
import { Dispatcher } from './dispatch.js';
import { killStaleRunProcesses } from './orphans.js';
import { applyResult, endUnlaunched } from './outcome.js';
import { findOverlaps } from './overlaps.js';
import { decideOverlap } from './policy.js';
import { createRunId } from './run-id.js';
import { jobStatusBody } from './status.js';
import type { ActiveRun, FireRequest, Job } from './types.js';
import { setWallTimer } from './wall-timer.js';

export interface SupervisorOptions {
  paths: MxxPaths;
  logger?: Logger;
  /** Global limit on concurrent runs; above it runs wait in fire order. @default 64 */
  maxConcurrency?: number;
  pool?: PoolOptions;
  /** Per-run log cap. @default 10 MiB */
  logCapBytes?: number;
  /** Output kept in the run record. @default 4096 */
  tailBytes?: number;
}

export interface RegisterOptions {
  source: JobSource;
  file?: string;
  replace: boolean;
}

export interface LoadError {
  file: string;
  jobId: string | null;
  error: string;
}

export type FireOutcome =
  | { kind: 'started' | 'queued'; run: ActiveRun }
  | { kind: 'skipped'; reason: string };

export interface SupervisorEvents {
  'run-output': [ActiveRun];
  'run-end': [RunRecord];
}

const RETRYABLE = new Set(['failed', 'timed_out']);

export class Supervisor extends EventEmitter<SupervisorEvents> {
  readonly paths: MxxPaths;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly history: History;
  readonly startedAt = Date.now();
  private readonly pool: ExecutionPool;
  private readonly dispatcher: Dispatcher;
  private readonly jobs = new Map<string, Job>();
  private readonly groups = new Map<string, Set<Job>>();
  private readonly runs = new Map<string, ActiveRun>();
  private readonly loadErrors = new Map<string, LoadError>();
  private readonly dirtyCounters = new Set<string>();
  private counterTimer: NodeJS.Timeout | null = null;
  private closing = false;
  private closed: Promise<void> | null = null;

  constructor(options: SupervisorOptions) {
    super();
    this.paths = options.paths;
    this.logger = options.logger ?? createLogger();
    this.registry = createRegistry({ file: this.paths.registry, logger: this.logger });
    this.history = createHistory({ dir: this.paths.runs, logger: this.logger });
    const maxConcurrency = options.maxConcurrency ?? 64;
    const threads = options.pool?.threads ?? availableParallelism();
    // The gate decides how many runs go at once; the pool must never be the tighter limit.
    this.pool = createPool({
      threads,
      concurrentTasksPerWorker: Math.max(32, Math.ceil(maxConcurrency / threads)),
      ...options.pool,
    });
    this.dispatcher = new Dispatcher({
      pool: this.pool,
      maxConcurrency,
      logCapBytes: options.logCapBytes ?? 10 * 1024 * 1024,
      tailBytes: options.tailBytes ?? 4096,
      logPath: (run) => runLogFile(this.paths, run.jobId, run.runId),
      onStarted: (run) => this.history.record(run.record, this.keepFor(run.jobId)),
      onOutput: (run) => this.emit('run-output', run),
      onEnded: (run, result, reason) => this.onRunEnded(run, result, reason),
    });
  }

  // ── lifecycle ────────────────────────────────────────────────────────────

  async start(): Promise<void> {
    await Promise.all(
      [this.paths.jobs, this.paths.runs, this.paths.logs].map((dir) => mkdir(dir, { recursive: true })),
    );
    await this.registry.load();
    await this.history.load({ keep: (id) => this.configuredKeep(id) });
    await this.markInterrupted();
    for (const entry of this.registry.list()) {
      try {
        this.install(this.definitionOf(entry), entry);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        this.logger.error(`registry entry ${entry.job_id} is not a valid job; it stays registered but is not armed`, {
          error: message,
        });
      }
    }
    const now = Date.now();
    for (const job of this.jobs.values()) {
      if (!job.schedule || job.entry.paused) continue;
      for (const fire of catchUpMisfires(job, this.history, now, this.logger)) {
        if (fire.kind === 'missed') this.recordEnded(job, fire.record);
        else this.fire(job, fire.request);
      }
      this.arm(job);
    }
  }

  /** Stops firing, stops runs (grace, then kill), persists. Safe to call twice. */
  close(): Promise<void> {
    this.closed ??= this.doClose();
    return this.closed;
  }

  private async doClose(): Promise<void> {
    this.closing = true;
    for (const job of this.jobs.values()) this.disarm(job, true);
    this.dispatcher.drainWaiting('shutdown');
    const done: Promise<void>[] = [];
    for (const run of [...this.runs.values()]) {
      done.push(run.done);
      this.stopRun(run, 'shutdown');
    }
    await Promise.all(done);
    await this.pool.close();
    this.flushCounters();
    await Promise.all([this.registry.flush(), this.history.flush()]);
  }

  // ── registration ─────────────────────────────────────────────────────────

  register(def: JobDefinition, options: RegisterOptions): RegisterBody {
    this.assertOpen();
    const existing = this.registry.get(def.id);
    if (existing && existing.source === 'file' && options.source === 'api') {
      throw new MxxError('JOB_FROM_FILE', `job ${def.id} is defined by the job file ${existing.file}`, {
        hint: `edit or delete ${existing.file} instead; the server reloads it`,
      });
    }
    if (existing && !options.replace) {
      throw new MxxError('JOB_EXISTS', `job ${def.id} already exists`, {
        hint: 'send "replace_existing": true to replace its definition',
      });
    }
    // The job's own entry carries counters not yet persisted (flushCounters runs once a second).
    const previous = this.jobs.get(def.id)?.entry ?? existing;
    const entry: RegistryEntry = {
      job_id: def.id,
      config: def.config,
      schedule: def.scheduleDoc,
      source: options.source,
      ...(options.file === undefined ? {} : { file: options.file }),
      registered_at: toIsoLocal(Date.now()),
      last_triggered: previous?.last_triggered ?? null,
      execution_count: previous?.execution_count ?? 0,
      // A file edit keeps a cancelled schedule cancelled; an explicit API registration arms it.
      paused: options.source === 'file' ? (previous?.paused ?? false) : false,
    };
    this.registry.set(entry);
    const job = this.install(def, entry);
    this.arm(job);
    const overlaps = job.schedule ? findOverlaps(job, this.jobs.values(), Date.now()) : [];
    if (overlaps.length > 0) {
      this.logger.warn(`job ${def.id} fires at the same second as other jobs`, { overlaps: overlaps.join(',') });
    }
    return {
      job_id: def.id,
      status: job.schedule ? 'scheduled' : 'registered',
      next_run: job.nextFire === null ? null : toIsoLocal(job.nextFire),
      on_demand: !job.schedule,
      overlaps,
      ...(existing ? { replaced: true } : {}),
    };
  }

  /** Removes a job's definition; a run in progress finishes on its own. */
  unregister(id: string, source: JobSource = 'api'): ActionBody {
    const job = this.getJob(id);
    if (source === 'api' && job.entry.source === 'file') {
      throw new MxxError('JOB_FROM_FILE', `job ${id} comes from the job file ${job.entry.file}`, {
        hint: `delete or rename ${job.entry.file} to unregister it`,
      });
    }
    this.disarm(job, true);
    if (job.pending) this.finishUnlaunched(job.pending, 'cancelled', 'the job was unregistered');
    this.jobs.delete(id);
    this.groupOf(job)?.delete(job);
    this.registry.delete(id);
    const running = [...job.active.keys()];
    return {
      job_id: id,
      message: running.length ? `unregistered; ${running.length} run(s) in progress will finish` : 'unregistered',
    };
  }

  private definitionOf(entry: RegistryEntry): JobDefinition {
    const doc = entry.schedule ? { ...entry.config, schedule: entry.schedule } : entry.config;
    return parseJobDocument(doc, { id: entry.job_id, source: entry.file ?? `registry entry ${entry.job_id}` });
  }

  private install(def: JobDefinition, entry: RegistryEntry): Job {
    const previous = this.jobs.get(def.id);
    const anchor = Date.parse(entry.registered_at);
    const job: Job = {
      id: def.id,
      def,
      entry,
      schedule: def.schedule ? createSchedule(def.schedule, Number.isNaN(anchor) ? Date.now() : anchor) : null,
      timer: null,
      nextFire: null,
      active: previous?.active ?? new Map(),
      pending: previous?.pending ?? null,
      retryTimers: previous?.retryTimers ?? new Set(),
      fireSeconds: null,
    };
    if (previous) {
      this.disarm(previous, false);
      this.groupOf(previous)?.delete(previous);
    }
    this.jobs.set(def.id, job);
    const group = def.policy.group;
    if (group !== undefined) {
      let members = this.groups.get(group);
      if (!members) this.groups.set(group, (members = new Set()));
      members.add(job);
    }
    return job;
  }

  // ── timers ───────────────────────────────────────────────────────────────

  private arm(job: Job, after = Date.now()): void {
    job.timer?.cancel();
    job.timer = null;
    job.nextFire = null;
    if (!job.schedule || job.entry.paused || this.closing) return;
    const next = job.schedule.next(after);
    if (next === null) return;
    const jitter = job.def.schedule?.jitter ? Math.random() * job.def.schedule.jitter * 1000 : 0;
    job.nextFire = next;
    job.timer = setWallTimer(next + jitter, () => this.onTimer(job, next, next + jitter));
  }

  private onTimer(job: Job, nominal: number, planned: number): void {
    job.timer = null;
    if (this.jobs.get(job.id) !== job || this.closing) return;
    const late = Date.now() - planned;
    if (late > job.def.policy.misfire_grace_time * 1000) {
      // A suspend or clock jump made us this late: record the miss, do not replay.
      this.recordEnded(job, {
        ...this.newRecord(job, { trigger: 'schedule', scheduledAt: nominal, attempt: 0 }),
        status: 'missed',
        ended_at: toIsoLocal(Date.now()),
        error: `fire was ${Math.round(late / 1000)}s late, more than misfire_grace_time (${job.def.policy.misfire_grace_time}s)`,
      });
    } else {
      this.fire(job, { trigger: 'schedule', scheduledAt: nominal, attempt: 0 });
    }
    this.arm(job, Math.max(Date.now(), nominal));
  }

  private disarm(job: Job, retriesToo: boolean): void {
    job.timer?.cancel();
    job.timer = null;
    job.nextFire = null;
    if (retriesToo) {
      for (const timer of job.retryTimers) clearTimeout(timer);
      job.retryTimers.clear();
    }
  }

  // ── firing and runs ──────────────────────────────────────────────────────

  /** Applies the overlap policy to one fire; starts, queues or records a skip. */
  fire(job: Job, request: FireRequest): FireOutcome {
    const decision = decideOverlap(job, this.groupRuns(job));
    switch (decision.action) {
      case 'start':
        return { kind: 'started', run: this.startRun(job, request) };
      case 'queue': {
        const run = this.newRun(job, request);
        run.record.status = 'queued';
        job.pending = run;
        this.runs.set(run.runId, run);
        this.history.record(run.record, this.keepFor(job.id));
        return { kind: 'queued', run };
      }
      case 'replace': {
        const run = this.newRun(job, request);
        this.accept(job, run);
        for (const victim of decision.victims) this.stopRun(victim, 'replaced', run.runId);
        void Promise.all(decision.victims.map((v) => v.done)).then(() => {
          if (run.stopReason) this.finishUnlaunched(run, run.stopReason === 'shutdown' ? 'interrupted' : 'cancelled', 'stopped before it started');
          else if (this.closing) this.finishUnlaunched(run, 'interrupted', 'the server shut down before it started');
          else this.submit(job, run);
        });
        return { kind: 'started', run };
      }
      case 'skip':
        if (request.trigger !== 'manual') {
          this.recordEnded(job, {
            ...this.newRecord(job, request),
            status: 'skipped',
            ended_at: toIsoLocal(Date.now()),
            error: decision.reason,
          });
        }
        return { kind: 'skipped', reason: decision.reason };
    }
  }

  private startRun(job: Job, request: FireRequest, run = this.newRun(job, request)): ActiveRun {
    this.accept(job, run);
    this.submit(job, run);
    return run;
  }

  private accept(job: Job, run: ActiveRun): void {
    job.active.set(run.runId, run);
    this.runs.set(run.runId, run);
    job.entry.execution_count++;
    job.entry.last_triggered = toIsoLocal(Date.now());
    this.markCountersDirty(job.id);
  }

  private submit(job: Job, run: ActiveRun): void {
    run.record.status = 'running';
    const waits = this.dispatcher.submit(run, job.def);
    if (waits) run.record.status = 'queued';
    this.history.record(run.record, this.keepFor(job.id));
  }

  private newRecord(job: Job, request: FireRequest, runId = createRunId()): RunRecord {
    return {
      run_id: runId,
      job_id: job.id,
      trigger: request.trigger,
      scheduled_at: request.scheduledAt === null ? null : toIsoLocal(request.scheduledAt),
      started_at: null,
      ended_at: null,
      status: 'running',
      exit_code: null,
      signal: null,
      pid: null,
      duration_ms: null,
      error: null,
      attempt: request.attempt,
    };
  }

  private newRun(job: Job, request: FireRequest): ActiveRun {
    const record = this.newRecord(job, request);
    let resolveDone!: () => void;
    const done = new Promise<void>((resolve) => (resolveDone = resolve));
    return { runId: record.run_id, jobId: job.id, record, request, outputBytes: 0, done, resolveDone };
  }

  private stopRun(run: ActiveRun, reason: StopReason, replacedBy?: string): void {
    if (replacedBy) run.record.error = `replaced by run ${replacedBy}`;
    const job = this.jobs.get(run.jobId);
    if (job?.pending === run) {
      this.finishUnlaunched(run, reason === 'shutdown' ? 'interrupted' : 'cancelled', 'stopped while queued');
      return;
    }
    run.stopReason ??= reason;
    this.dispatcher.stop(run, reason);
  }

  private onRunEnded(run: ActiveRun, result: RunResult | null, reason?: StopReason): void {
    if (result === null) {
      this.finishUnlaunched(run, reason === 'shutdown' ? 'interrupted' : 'cancelled', 'stopped while waiting for a free slot');
      return;
    }
    const replacedBy = run.record.error?.startsWith('replaced by run ') ? run.record.error.slice(16) : undefined;
    this.finish(run, applyResult(run.record, result, replacedBy));
    const job = this.jobs.get(run.jobId);
    if (!job || this.closing) return;
    if (RETRYABLE.has(result.status) && run.request.attempt < job.def.policy.retries) {
      const delay = job.def.policy.retry_delay * 1000 * 2 ** run.request.attempt;
      const timer = setTimeout(() => {
        job.retryTimers.delete(timer);
        if (this.jobs.get(job.id) === job && !this.closing) {
          this.fire(job, { trigger: 'retry', scheduledAt: Date.now(), attempt: run.request.attempt + 1 });
        }
      }, delay);
      job.retryTimers.add(timer);
    }
  }

  private finishUnlaunched(run: ActiveRun, status: RunRecord['status'], error: string): void {
    this.finish(run, endUnlaunched(run.record, status, error, Date.now()));
  }

  private finish(run: ActiveRun, record: RunRecord): void {
    run.record = record;
    const job = this.jobs.get(run.jobId);
    if (job?.pending === run) job.pending = null;
    job?.active.delete(run.runId);
    this.runs.delete(run.runId);
    this.history.record(record, this.keepFor(run.jobId));
    run.resolveDone();
    this.emit('run-end', record);
    if (job && !this.closing) {
      setImmediate(() => this.startPending(job));
      if (job.entry.execution_count % job.def.policy.history === 0) void pruneLogs(this, job.id);
    }
  }

  /** After a run ends: the job's queued fire, then its group's, may start now. */
  private startPending(job: Job): void {
    const candidates = [job, ...(this.groupOf(job) ?? [])];
    for (const candidate of candidates) {
      const pending = candidate.pending;
      if (!pending || candidate.active.size > 0 || this.groupRuns(candidate).length > 0) continue;
      candidate.pending = null;
      this.startRun(candidate, pending.request, pending);
    }
  }

  private recordEnded(job: Job, record: RunRecord): void {
    this.history.record(record, this.keepFor(job.id));
    this.emit('run-end', record);
  }

  private groupOf(job: Job): Set<Job> | undefined {
    const group = job.def.policy.group;
    return group === undefined ? undefined : this.groups.get(group);
  }

  private groupRuns(job: Job): ActiveRun[] {
    const out: ActiveRun[] = [];
    for (const member of this.groupOf(job) ?? []) {
      if (member !== job) out.push(...member.active.values());
    }
    return out;
  }

  /** policy.history as written in the registry (before jobs are installed). */
  private configuredKeep(jobId: string): number | undefined {
    const policy = this.registry.get(jobId)?.config.policy as { history?: unknown } | undefined;
    return typeof policy?.history === 'number' ? policy.history : undefined;
  }

  private keepFor(jobId: string): number {
    return this.jobs.get(jobId)?.def.policy.history ?? 100;
  }

  private markCountersDirty(id: string): void {
    this.dirtyCounters.add(id);
    // Counters change on every run; persisting them once a second keeps the registry file quiet.
    this.counterTimer ??= setTimeout(() => this.flushCounters(), 1000);
  }

  private flushCounters(): void {
    if (this.counterTimer) clearTimeout(this.counterTimer);
    this.counterTimer = null;
    for (const id of this.dirtyCounters) {
      const job = this.jobs.get(id);
      if (job && this.registry.has(id)) {
        this.registry.update(id, {
          execution_count: job.entry.execution_count,
          last_triggered: job.entry.last_triggered,
        });
      }
    }
    this.dirtyCounters.clear();
  }

  private async markInterrupted(): Promise<void> {
    const unfinished = this.history.unfinished();
    if (unfinished.length === 0) return;
    const killed = await killStaleRunProcesses(new Set(unfinished.map((r) => r.run_id)));
    const now = toIsoLocal(Date.now());
    for (const record of unfinished) {
      this.history.record(
        { ...record, status: 'interrupted', ended_at: now, error: 'the server stopped while this run was in progress' },
        this.configuredKeep(record.job_id),
      );
    }
    this.logger.warn(`marked ${unfinished.length} run(s) in progress at the last shutdown as interrupted`, {
      killed_leftover_processes: killed,
    });
  }

  // ── queries and user actions (the API calls these) ───────────────────────

  getJob(id: string): Job {
    const job = this.jobs.get(id);
    if (!job) {
      throw new MxxError('JOB_NOT_FOUND', `job ${id} not found`, { hint: 'list jobs with: mxx list' });
    }
    return job;
  }

  hasJob(id: string): boolean {
    return this.jobs.has(id);
  }

  allJobs(): Job[] {
    return [...this.jobs.values()];
  }

  status(id: string): JobStatusBody {
    return jobStatusBody(this.getJob(id), this.history);
  }

  list(filter: 'all' | 'active' | 'scheduled' = 'all'): JobStatusBody[] {
    const out: JobStatusBody[] = [];
    for (const job of this.jobs.values()) {
      if (filter === 'active' && job.active.size === 0) continue;
      if (filter === 'scheduled' && (!job.schedule || job.entry.paused)) continue;
      out.push(jobStatusBody(job, this.history, true));
    }
    return out;
  }

  trigger(id: string): TriggerBody {
    this.assertOpen();
    const job = this.getJob(id);
    const outcome = this.fire(job, { trigger: 'manual', scheduledAt: Date.now(), attempt: 0 });
    if (outcome.kind === 'skipped') {
      throw new MxxError('JOB_BUSY', `job ${id} was not started: ${outcome.reason}`, {
        hint: `its overlap policy is "${job.def.policy.overlap}"; stop the running run first (mxx stop ${id}) or change policy.overlap`,
      });
    }
    const runId = outcome.run.runId;
    return { job_id: id, run_id: runId, execution_id: runId, status: outcome.kind === 'queued' ? 'queued' : 'triggered' };
  }

  /** Stops the job's runs in progress (and its queued fire). Resolves when they have ended. */
  async stop(id: string): Promise<string[]> {
    const job = this.getJob(id);
    const runs = [...job.active.values(), ...(job.pending ? [job.pending] : [])];
    for (const run of runs) this.stopRun(run, 'cancelled');
    await Promise.all(runs.map((r) => r.done));
    return runs.map((r) => r.runId);
  }

  async cancel(id: string, terminate: boolean): Promise<ActionBody> {
    const job = this.getJob(id);
    this.disarm(job, true);
    job.entry.paused = true;
    this.registry.update(id, { paused: true });
    const stopped = terminate ? await this.stop(id) : [];
    await this.registry.flush();
    return { job_id: id, message: job.schedule ? 'schedule cancelled (paused)' : 'job paused', stopped };
  }

  async resume(id: string): Promise<ActionBody> {
    const job = this.getJob(id);
    const wasPaused = job.entry.paused;
    job.entry.paused = false;
    this.registry.update(id, { paused: false });
    this.arm(job);
    await this.registry.flush();
    return { job_id: id, message: wasPaused ? 'resumed' : 'was not paused' };
  }

  /** Clears a finished job's run state: its history and logs. */
  async clearRuns(id: string): Promise<ActionBody> {
    const job = this.getJob(id);
    if (job.active.size > 0 || job.pending) {
      throw new MxxError('JOB_BUSY', `job ${id} is running`, { hint: `stop it first: mxx stop ${id}` });
    }
    await this.history.clear(id);
    await rm(join(this.paths.logs, id), { recursive: true, force: true });
    return { job_id: id, message: 'run history and logs cleared' };
  }

  getRun(runId: string): RunRecord {
    const record = this.runs.get(runId)?.record ?? this.history.get(runId);
    if (!record) throw new MxxError('RUN_NOT_FOUND', `run ${runId} not found`, { hint: 'list runs with: mxx runs JOB' });
    return record;
  }

  /** The run in progress with this id, if any. */
  activeRun(runId: string): ActiveRun | undefined {
    return this.runs.get(runId);
  }

  runLogPath(record: RunRecord): string {
    return runLogFile(this.paths, record.job_id, record.run_id);
  }

  nextFires(id: string, n: number, from: number): number[] {
    const job = this.getJob(id);
    return job.schedule ? job.schedule.nextN(from, n) : [];
  }

  get runningCount(): number {
    return this.runs.size;
  }

  get queuedCount(): number {
    return this.dispatcher.queued;
  }

  // ── job files' load errors ───────────────────────────────────────────────

  setLoadError(file: string, jobId: string | null, error: string): void {
    this.loadErrors.set(file, { file, jobId, error });
    const entry = jobId === null ? undefined : this.registry.get(jobId);
    if (entry && entry.source === 'file' && entry.file === file && entry.load_error !== error) {
      this.registry.update(entry.job_id, { load_error: error });
    }
  }

  clearLoadError(file: string): void {
    const known = this.loadErrors.get(file);
    this.loadErrors.delete(file);
    const entry = known?.jobId ? this.registry.get(known.jobId) : undefined;
    if (entry?.load_error !== undefined && entry.file === file) {
      const { load_error: _drop, ...rest } = entry;
      this.registry.set(rest);
      const job = this.jobs.get(entry.job_id);
      if (job) job.entry = rest;
    }
  }

  listLoadErrors(): LoadError[] {
    return [...this.loadErrors.values()];
  }

  private assertOpen(): void {
    if (this.closing) throw new MxxError('INTERNAL', 'the server is shutting down');
  }
}

export function createSupervisor(options: SupervisorOptions): Supervisor {
  return new Supervisor(options);
}

/** Deletes log files of runs no longer in a job's history. */
export async function pruneLogs(supervisor: Supervisor, jobId: string): Promise<void> {
  const keep = new Set(supervisor.history.list(jobId).map((r) => `${r.run_id}.log`));
  const dir = join(supervisor.paths.logs, jobId);
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (!keep.has(name)) await rm(join(dir, name), { force: true });
  }
}
