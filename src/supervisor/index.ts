/**
 * The supervisor: owns the registry, the timers, run history and the run engine (overlap and
 * concurrency policy, dispatch to the execution pool). The API, the job-file loader and the
 * watcher call its methods; it never parses HTTP or files itself.
 */
import { EventEmitter } from 'node:events';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { ActionBody, JobStatusBody, RegisterBody, TriggerBody } from '../api/types.js';
import { MxxError } from '../errors.js';
import { createHistory, type History } from '../history.js';
import { parseJobDocument } from '../job/parse.js';
import type { JobDefinition } from '../job/types.js';
import { createLogger, type Logger } from '../logger.js';
import { createPool, type ExecutionPool, type PoolOptions } from '../pool.js';
import { runLogFile, type MxxPaths } from '../paths.js';
import { toIsoLocal, type JobSource, type RegistryEntry, type RunRecord } from '../records.js';
import { createRegistry, type Registry } from '../registry.js';
import { catchUpMisfires } from './catch-up.js';
import { RunCounters } from './counters.js';
import { JobTable } from './job-table.js';
import { LoadErrors, type LoadError } from './load-errors.js';
import { killStaleRunProcesses } from './orphans.js';
import { findOverlaps } from './overlaps.js';
import { newRecord, RunEngine, type FireOutcome } from './run-engine.js';
import { jobStatusBody } from './status.js';
import { armJob, disarmJob } from './timers.js';
import { statusEpoch, touch, type ActiveRun, type FireRequest, type Job } from './types.js';

export type { FireOutcome } from './run-engine.js';
export type { LoadError } from './load-errors.js';

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

export interface SupervisorEvents {
  'run-output': [ActiveRun];
  'run-end': [RunRecord];
}

export class Supervisor extends EventEmitter<SupervisorEvents> {
  readonly paths: MxxPaths;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly history: History;
  readonly startedAt = Date.now();
  private readonly pool: ExecutionPool;
  private readonly table = new JobTable();
  private readonly engine: RunEngine;
  private readonly counters: RunCounters;
  private readonly loadErrors: LoadErrors;
  private closing = false;
  private closed: Promise<void> | null = null;
  private readonly listingCache = new Map<string, { epoch: number; size: number; bytes: Uint8Array }>();

  constructor(options: SupervisorOptions) {
    super();
    this.paths = options.paths;
    this.logger = options.logger ?? createLogger();
    this.registry = createRegistry({ file: this.paths.registry, logger: this.logger });
    this.history = createHistory({ dir: this.paths.runs, logger: this.logger });
    this.counters = new RunCounters(this.registry, this.table);
    this.loadErrors = new LoadErrors(this.registry, this.table);
    const maxConcurrency = options.maxConcurrency ?? 64;
    const threads = options.pool?.threads ?? availableParallelism();
    // The gate decides how many runs go at once; the pool must never be the tighter limit.
    this.pool = createPool({
      threads,
      concurrentTasksPerWorker: Math.max(32, Math.ceil(maxConcurrency / threads)),
      ...options.pool,
    });
    this.engine = new RunEngine({
      paths: this.paths,
      pool: this.pool,
      table: this.table,
      history: this.history,
      counters: this.counters,
      maxConcurrency,
      logCapBytes: options.logCapBytes ?? 10 * 1024 * 1024,
      tailBytes: options.tailBytes ?? 4096,
      onOutput: (run) => this.emit('run-output', run),
      onEnded: (record) => this.emit('run-end', record),
      onJobRunEnded: (job) => {
        if (job.entry.execution_count % job.def.policy.history === 0) void pruneLogs(this, job.id);
      },
    });
  }

  // ── lifecycle ────────────────────────────────────────────────────────────

  async start(): Promise<void> {
    await Promise.all([this.paths.jobs, this.paths.runs, this.paths.logs].map((dir) => mkdir(dir, { recursive: true })));
    await this.registry.load();
    await this.history.load({ keep: (id) => this.configuredKeep(id) });
    await this.markInterrupted();
    for (const entry of this.registry.list()) {
      try {
        // A copy: the job's entry changes in place (counters), the registry's only through update().
        this.table.install(this.definitionOf(entry), { ...entry });
      } catch (error) {
        this.logger.error(`registry entry ${entry.job_id} is not a valid job; it stays registered but is not armed`, {
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
    const now = Date.now();
    for (const job of this.table.values()) {
      if (!job.schedule || job.entry.paused) continue;
      for (const fire of catchUpMisfires(job, this.history, now, this.logger)) {
        if (fire.kind === 'missed') this.engine.recordEnded(fire.record);
        else this.engine.fire(job, fire.request);
      }
      this.arm(job);
    }
  }

  /** Stops firing, stops runs (grace, then kill), persists. Safe to call twice. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      this.closing = true;
      for (const job of this.table.values()) disarmJob(job, true);
      await this.engine.shutdown();
      await this.pool.close();
      this.counters.flush();
      await Promise.all([this.registry.flush(), this.history.flush()]);
    })();
    return this.closed;
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
    // The job's own entry carries counters not yet persisted (RunCounters flushes once a second).
    const previous = this.table.get(def.id)?.entry ?? existing;
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
    const job = this.table.install(def, entry);
    this.arm(job);
    const overlaps = job.schedule ? findOverlaps(job, this.table.values(), Date.now()) : [];
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
    disarmJob(job, true);
    if (job.pending) this.engine.stop(job.pending, 'cancelled');
    this.table.remove(job);
    this.registry.delete(id);
    const running = job.active.size;
    return { job_id: id, message: running ? `unregistered; ${running} run(s) in progress will finish` : 'unregistered' };
  }

  private definitionOf(entry: RegistryEntry): JobDefinition {
    const doc = entry.schedule ? { ...entry.config, schedule: entry.schedule } : entry.config;
    return parseJobDocument(doc, { id: entry.job_id, source: entry.file ?? `registry entry ${entry.job_id}` });
  }

  // ── timers ───────────────────────────────────────────────────────────────

  private arm(job: Job, after = Date.now()): void {
    if (this.closing) return;
    armJob(job, (fired, nominal, planned) => this.onTimer(fired, nominal, planned), after);
  }

  private onTimer(job: Job, nominal: number, planned: number): void {
    if (this.table.get(job.id) !== job || this.closing) return;
    const late = Date.now() - planned;
    const grace = job.def.policy.misfire_grace_time;
    if (late > grace * 1000) {
      // A suspend or clock jump made us this late: record the miss, do not replay.
      this.engine.recordEnded({
        ...newRecord(job, { trigger: 'schedule', scheduledAt: nominal, attempt: 0 }),
        status: 'missed',
        ended_at: toIsoLocal(Date.now()),
        error: `fire was ${Math.round(late / 1000)}s late, more than misfire_grace_time (${grace}s)`,
      });
    } else {
      this.engine.fire(job, { trigger: 'schedule', scheduledAt: nominal, attempt: 0, notBefore: planned });
    }
    this.arm(job, Math.max(Date.now(), nominal));
  }

  // ── runs ─────────────────────────────────────────────────────────────────

  /** Applies the job's overlap policy to one fire (the timers, triggers and benchmarks use it). */
  fire(job: Job, request: FireRequest): FireOutcome {
    return this.engine.fire(job, request);
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

  /** policy.history as written in the registry (before jobs are installed). */
  private configuredKeep(jobId: string): number | undefined {
    const policy = this.registry.get(jobId)?.config.policy as { history?: unknown } | undefined;
    return typeof policy?.history === 'number' ? policy.history : undefined;
  }

  // ── queries and user actions (the API calls these) ───────────────────────

  getJob(id: string): Job {
    const job = this.table.get(id);
    if (!job) throw new MxxError('JOB_NOT_FOUND', `job ${id} not found`, { hint: 'list jobs with: mxx list' });
    return job;
  }

  hasJob(id: string): boolean {
    return this.table.has(id);
  }

  status(id: string): JobStatusBody {
    return jobStatusBody(this.getJob(id), this.history);
  }

  /**
   * The listing as JSON (`{jobs, count}`), from each job's cached status JSON: with thousands of
   * jobs, building and serializing every status on every GET /jobs was most of its cost.
   */
  listJson(filter: 'all' | 'active' | 'scheduled' = 'all'): Uint8Array {
    // Nothing changed since the last listing (and no job came or went): the same bytes again.
    const cached = this.listingCache.get(filter);
    if (cached && cached.epoch === statusEpoch.value && cached.size === this.table.size) return cached.bytes;
    const jobs = this.listedJobs(filter);
    const items = jobs.map((job) => {
      if (job.statusJson?.version !== job.version) {
        job.statusJson = { version: job.version, json: JSON.stringify(jobStatusBody(job, this.history, true)) };
      }
      return job.statusJson.json;
    });
    const bytes = Buffer.from(`{"jobs":[${items.join(',')}],"count":${jobs.length}}`);
    this.listingCache.set(filter, { epoch: statusEpoch.value, size: this.table.size, bytes });
    return bytes;
  }

  private listedJobs(filter: 'all' | 'active' | 'scheduled'): Job[] {
    const out: Job[] = [];
    for (const job of this.table.values()) {
      if (filter === 'active' && job.active.size === 0) continue;
      if (filter === 'scheduled' && (!job.schedule || job.entry.paused)) continue;
      out.push(job);
    }
    return out;
  }

  trigger(id: string): TriggerBody {
    this.assertOpen();
    const job = this.getJob(id);
    const outcome = this.engine.fire(job, { trigger: 'manual', scheduledAt: Date.now(), attempt: 0 });
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
    for (const run of runs) this.engine.stop(run, 'cancelled');
    await Promise.all(runs.map((r) => r.done));
    return runs.map((r) => r.runId);
  }

  async cancel(id: string, terminate: boolean): Promise<ActionBody> {
    const job = this.getJob(id);
    disarmJob(job, true);
    job.entry.paused = true;
    touch(job);
    this.registry.update(id, { paused: true });
    const stopped = terminate ? await this.stop(id) : [];
    await this.registry.flush();
    return { job_id: id, message: job.schedule ? 'schedule cancelled (paused)' : 'job paused', stopped };
  }

  async resume(id: string): Promise<ActionBody> {
    const job = this.getJob(id);
    const wasPaused = job.entry.paused;
    job.entry.paused = false;
    touch(job);
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
    touch(job);
    await rm(join(this.paths.logs, id), { recursive: true, force: true });
    return { job_id: id, message: 'run history and logs cleared' };
  }

  getRun(runId: string): RunRecord {
    const record = this.engine.runs.get(runId)?.record ?? this.history.get(runId);
    if (!record) throw new MxxError('RUN_NOT_FOUND', `run ${runId} not found`, { hint: 'list runs with: mxx runs JOB' });
    return record;
  }

  /** The run in progress with this id, if any. */
  activeRun(runId: string): ActiveRun | undefined {
    return this.engine.runs.get(runId);
  }

  runLogPath(record: RunRecord): string {
    return runLogFile(this.paths, record.job_id, record.run_id);
  }

  nextFires(id: string, n: number, from: number): number[] {
    const job = this.getJob(id);
    return job.schedule ? job.schedule.nextN(from, n) : [];
  }

  get runningCount(): number {
    return this.engine.runs.size;
  }

  get queuedCount(): number {
    return this.engine.queued;
  }

  // ── job files' load errors ───────────────────────────────────────────────

  setLoadError(file: string, jobId: string | null, error: string): void {
    this.loadErrors.set(file, jobId, error);
  }

  clearLoadError(file: string): void {
    this.loadErrors.clear(file);
  }

  loadErrorOf(file: string): LoadError | undefined {
    return this.loadErrors.get(file);
  }

  listLoadErrors(): LoadError[] {
    return this.loadErrors.list();
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
