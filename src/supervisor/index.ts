/**
 * The supervisor: owns the jobs, the registry, the timers, run history and the run engine (overlap
 * and concurrency policy, dispatch to the execution pool). The API, the job-file loader and the
 * watcher ask it questions and get plain values back (./views.ts); it never parses HTTP or files,
 * nor shapes an answer's body.
 */
import { EventEmitter } from 'node:events';
import { chmod, mkdir, readdir, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { MxxError } from '../errors.js';
import { EventHub, firstEventId } from '../events/hub.js';
import type { History } from '../history/index.js';
import { parseJobDocument } from '../job/parse.js';
import { didYouMean } from '../job/suggest.js';
import type { JobDefinition } from '../job/types.js';
import type { Logger } from '../logger.js';
import { createPool, type ExecutionPool } from '../pool.js';
import { runLogFile, type MxxPaths } from '../paths.js';
import { toIsoLocal, type JobSource, type RegistryEntry, type RunRecord } from '../records.js';
import type { Registry } from '../registry/index.js';
import { createFilesStore, type Store } from '../store/index.js';
import { Cluster, type NodeView } from '../cluster/index.js';
import { VERSION } from '../version.js';
import { catchUpMisfires } from './catch-up.js';
import { ClusterLink } from './cluster-link.js';
import { watchClock, type ClockWatch } from './clock-watch.js';
import { FaultLog } from './faults.js';
import { armAfterReplacing } from './replace-arm.js';
import { RunCounters } from './counters.js';
import { JobTable } from './job-table.js';
import { isOwnFileEntry } from './file-owner.js';
import { LoadErrors, type LoadError, type LoadErrorOptions } from './load-errors.js';
import { killStaleRunProcesses } from './orphans.js';
import { findOverlaps } from './overlaps.js';
import { resolveSupervisorOptions, type SupervisorOptions } from './options.js';
import { emitEnded, RunEngine } from './run-engine.js';
import { notRunRecord } from './run-record.js';
import { FireQueue } from './fire-queue.js';
import { armJob, CLUSTER_FIRE_LEAD_MS, disarmJob, FIRE_LEAD_MS, firedFromQueue, type FireHandler } from './timers.js';
import { statusEpoch, touch, type FireRequest, type Job } from './types.js';
import type {
  Cancelled,
  FileJob,
  FireResult,
  JobFilter,
  JobView,
  ListedJob,
  Registered,
  Resumed,
  RunOutput,
  RunPage,
  RunQuery,
  Triggered,
  Unregistered,
} from './views.js';

export type { LoadError } from './load-errors.js';
export type { FireRequest } from './types.js';
export { resolveSupervisorOptions, type ResolvedSupervisorOptions, type SupervisorOptions } from './options.js';
export type * from './views.js';

export interface RegisterOptions {
  source: JobSource;
  file?: string;
  replace: boolean;
}

export interface SupervisorEvents {
  'run-output': [RunOutput];
  'run-end': [RunRecord];
}

export class Supervisor extends EventEmitter<SupervisorEvents> {
  readonly paths: MxxPaths;
  readonly logger: Logger;
  readonly startedAt = Date.now();
  /** This server's labels (jobs' [placement]); set once at construction. */
  readonly labels: readonly string[];
  /** Every run, job and file event (SPEC §10), numbered, with a replay buffer. */
  readonly events: EventHub;
  /** Where the registry and history are kept; the supervisor closes it in close(). */
  readonly store: Store;
  private readonly registry: Registry;
  private readonly history: History;
  private readonly pool: ExecutionPool;
  private readonly table = new JobTable();
  /** Every job's armed fire, behind one timer. */
  private readonly fires: FireQueue;
  /** How far ahead of its instant a fire is handled (timers.ts): longer when it is claimed in a database first. */
  private readonly fireLeadMs: number;
  private readonly onFire: FireHandler = (job, nominal, planned) => this.onTimer(job, nominal, planned);
  private readonly engine: RunEngine;
  private readonly counters: RunCounters;
  private readonly loadErrors: LoadErrors;
  /** Storage faults that failed a run, counted and logged without flooding. */
  private readonly faults: FaultLog;
  private closing = false;
  private closed: Promise<void> | null = null;
  private clock: ClockWatch | null = null;
  /** Changes of one job's definition or state are applied one at a time (persist, then apply). */
  private readonly jobLocks = new Map<string, Promise<unknown>>();
  /** Runs ended since each job's logs were last pruned, and whether a prune is under way. */
  private readonly prunes = new Map<string, { ended: number; running: boolean }>();
  /** Several servers on one PostgreSQL store: claims, leases, the others' changes. */
  private readonly link: ClusterLink | null = null;
  /** This server's node id on a shared store; null on one server. */
  readonly nodeId: string | null;
  /** Each job file of this server's folder last read, and the job id it defines. */
  private readonly folderFiles = new Map<string, string>();
  /** Told the id of every job another server changed, once this server applied the change. */
  private readonly remoteJobListeners = new Set<(id: string) => void>();

  /** @param store the registry and history to use. @default the files store under `paths` */
  constructor(partial: SupervisorOptions, store?: Store) {
    super();
    const options = resolveSupervisorOptions(partial);
    this.labels = options.labels;
    this.paths = options.paths;
    this.logger = options.logger;
    this.store = store ?? createFilesStore({ paths: this.paths, logger: this.logger });
    this.registry = this.store.registry;
    this.history = this.store.history;
    this.counters = new RunCounters(this.registry, this.table);
    this.faults = new FaultLog(this.logger);
    this.fireLeadMs = this.store.coordination ? CLUSTER_FIRE_LEAD_MS : FIRE_LEAD_MS;
    this.fires = new FireQueue({
      onDue: (job, at) => firedFromQueue(job, at, this.onFire, this.fireLeadMs),
      onError: (error) => this.logger.error('a job\'s fire failed', { error: error instanceof Error ? error : String(error) }),
    });
    this.events = new EventHub(
      options.eventBuffer,
      (error) => this.logger.error('an event listener failed', { error: error instanceof Error ? error : String(error) }),
      firstEventId(this.startedAt),
    );
    this.nodeId = this.store.coordination?.node.nodeId ?? null;
    this.loadErrors = new LoadErrors(this.registry, this.table, this.events, this.nodeId);
    this.pool = createPool(options.pool);
    this.engine = new RunEngine({
      paths: this.paths,
      pool: this.pool,
      table: this.table,
      history: this.history,
      counters: this.counters,
      maxConcurrency: options.maxConcurrency,
      logCapBytes: options.logCapBytes,
      tailBytes: options.tailBytes,
      labels: options.labels,
      ...(this.store.coordination ? { node: this.store.coordination.node.nodeId } : {}),
      faults: this.faults,
      events: this.events,
      onOutput: (run) => this.emit('run-output', { runId: run.runId, jobId: run.jobId, outputBytes: run.outputBytes }),
      onEnded: (record) => this.emit('run-end', record),
      onJobRunEnded: (job) => this.countLogForPruning(job),
    });
    const coordination = this.store.coordination;
    if (coordination) {
      const cluster = new Cluster({
        db: coordination.db,
        node: coordination.node,
        leaseMs: options.leaseMs,
        logger: this.logger,
        info: () => ({ host: hostname(), url: options.advertisedUrl() || undefined, version: VERSION, labels: [...this.labels] }),
      });
      this.link = new ClusterLink(cluster, {
        table: this.table,
        engine: this.engine,
        logger: this.logger,
        isOpen: () => !this.closing,
        applyJob: (id) => this.applyStoredJob(id),
        resync: () => this.resyncJobs(),
        pullRuns: () => coordination.history.pull(),
        flushHistory: () => this.history.flush(),
      });
    }
  }

  // ── lifecycle ────────────────────────────────────────────────────────────

  async start(): Promise<void> {
    await mkdir(this.paths.jobs, { recursive: true });
    // Logs and history may hold secrets (job output, environments): only the owner may read them.
    await Promise.all([this.paths.server, this.paths.runs, this.paths.logs].map((dir) => mkdir(dir, { recursive: true, mode: 0o700 })));
    await Promise.all([this.paths.runs, this.paths.logs].map((dir) => chmod(dir, 0o700).catch(() => undefined)));
    // In a cluster, joining marks what this server's previous life left running as interrupted
    // (in the store, before the history is read) and takes back its unfinished fires.
    const membership = this.link
      ? await this.link.cluster.join({
          onTakeover: (fires, interrupted, from) => this.link?.onTakeover(fires, interrupted, from),
          onFenced: (error) => this.link!.onFenced(error),
          onChange: (change) => this.link?.onChange(change),
          onResync: () => this.link?.onResync(),
          onStoreBack: () => this.link?.storeBack(),
        })
      : null;
    await this.registry.load();
    await this.history.load({ keep: (id) => this.configuredKeep(id) });
    if (membership) await this.killLeftovers(membership.interruptedRuns.map((run) => run.runId));
    else await this.markInterrupted();
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
        if (fire.kind === 'missed') {
          if (this.link) {
            const { record } = fire;
            void this.link.fire(job, { trigger: 'schedule', scheduledAt: Date.parse(record.scheduled_at ?? ''), attempt: 0, runId: record.run_id }, { missed: record.error ?? 'missed' });
          } else this.engine.recordEnded(fire.record);
        } else {
          job.lastFired = fire.request.scheduledAt;
          this.fireScheduled(job, fire.request);
        }
      }
      // From the instant catch-up looked at, not from now: a fire that fell due while a thousand
      // jobs were being caught up runs (late) instead of falling between the two.
      this.arm(job, now);
    }
    this.clock = watchClock((delta) => this.replanAll(delta));
    if (this.link && membership) {
      this.link.started();
      if (membership.fires.length > 0) this.link.onTakeover(membership.fires, membership.interruptedRuns, this.link.cluster.nodeId);
    }
  }

  /** A scheduled fire: claimed first where several servers share the store. */
  private fireScheduled(job: Job, request: FireRequest): void {
    if (this.link) void this.link.fire(job, request);
    else this.engine.fire(job, request);
  }

  /** Kills what is left of this server's own runs that its previous life had in progress. */
  private async killLeftovers(runIds: string[]): Promise<void> {
    if (runIds.length === 0) return;
    const killed = await killStaleRunProcesses(new Set(runIds));
    this.logger.warn(`marked ${runIds.length} run(s) in progress at the last shutdown as interrupted`, { killed_leftover_processes: killed });
  }

  /** Stops firing, stops runs (grace, then kill), persists. Safe to call twice. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      this.closing = true;
      const stopping = [...this.engine.runs.values()];
      this.events.emit('server.stopping', {
        running: stopping.map((run) => run.runId),
        runs: stopping.map((run) => ({ job_id: run.jobId, run_id: run.runId })),
      });
      this.clock?.stop();
      for (const job of this.table.values()) disarmJob(job, { retriesToo: true });
      this.fires.clear();
      await this.engine.shutdown();
      await this.pool.close();
      this.counters.flush();
      try {
        await Promise.all([this.registry.flush(), this.history.flush()]);
        // Leaves registry.json complete (the journal folded in) for users and tools that read it.
        await this.registry.compact().catch((error: unknown) =>
          this.logger.warn('could not compact the registry journal into registry.json at shutdown; it is replayed at the next start', { error: String(error) }),
        );
      } finally {
        await this.link?.cluster.leave();
        await this.store.close();
      }
    })();
    return this.closed;
  }

  // ── registration ─────────────────────────────────────────────────────────

  /**
   * Registers or replaces a job. The registry entry is persisted first; only then is the job
   * installed and armed, so an answer is given only for a change that is on disk, and a change that
   * could not be saved (STORAGE_UNAVAILABLE) leaves everything as it was.
   */
  register(def: JobDefinition, options: RegisterOptions): Promise<Registered> {
    this.assertOpen();
    return this.exclusive(def.id, async () => {
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
      const registeredAt = Date.now();
      const entry: RegistryEntry = {
        job_id: def.id,
        config: def.config,
        schedule: def.scheduleDoc,
        source: options.source,
        ...(options.file === undefined ? {} : { file: options.file }),
        ...(options.source === 'file' && this.nodeId !== null ? { node: this.nodeId } : {}),
        registered_at: toIsoLocal(registeredAt),
        last_triggered: previous?.last_triggered ?? this.history.list(def.id, 1)[0]?.started_at ?? null,
        // A job registered again after an unregister still has its run history: count it.
        execution_count: previous?.execution_count ?? this.history.count(def.id),
        // A file edit keeps a cancelled schedule cancelled; an explicit API registration arms it.
        paused: options.source === 'file' ? (previous?.paused ?? false) : false,
      };
      const replaced = this.table.get(def.id);
      await this.registry.set(entry);
      const job = this.table.install(def, entry);
      this.arm(job, armAfterReplacing(replaced, registeredAt));
      this.runPastDateWithinGrace(job);
      const nextRun = job.nextFire === null ? null : toIsoLocal(job.nextFire);
      this.events.emit(existing ? 'job.updated' : 'job.registered', {
        job_id: def.id,
        source: options.source,
        ...(options.file === undefined ? {} : { file: options.file }),
        on_demand: !job.schedule,
        next_run: nextRun,
      });
      const overlaps = job.schedule ? findOverlaps(job, this.table.values(), Date.now()) : [];
      if (overlaps.length > 0) {
        this.logger.warn(`job ${def.id} fires at the same second as other jobs`, { overlaps: overlaps.join(',') });
      }
      return { jobId: def.id, onDemand: !job.schedule, nextFire: job.nextFire, overlaps, replaced: existing !== undefined };
    });
  }

  /** Removes a job's definition once the removal is persisted; a run in progress finishes on its own. */
  unregister(id: string, source: JobSource = 'api'): Promise<Unregistered> {
    return this.exclusive(id, async () => {
      const job = this.getJob(id);
      if (source === 'api' && job.entry.source === 'file') {
        throw new MxxError('JOB_FROM_FILE', `job ${id} comes from the job file ${job.entry.file}`, {
          hint: `delete or rename ${job.entry.file} to unregister it`,
        });
      }
      await this.registry.delete(id);
      disarmJob(job, { retriesToo: true });
      if (job.pending) this.engine.stop(job.pending, 'cancelled');
      this.table.remove(job);
      this.events.emit('job.removed', {
        job_id: id,
        source: job.entry.source,
        ...(job.entry.file === undefined ? {} : { file: job.entry.file }),
        running: job.active.size,
      });
      return { jobId: id, running: job.active.size };
    });
  }

  /**
   * A date job registered a little after its run_date (within misfire_grace_time) runs once now,
   * as APScheduler does; the validation refuses one that is later than that.
   */
  private runPastDateWithinGrace(job: Job): void {
    if (job.def.schedule?.trigger !== 'date' || job.nextFire !== null || job.entry.paused || !job.schedule) return;
    const now = Date.now();
    const due = job.schedule.next(now - job.def.policy.misfire_grace_time * 1000 - 1);
    if (due === null || due > now) return;
    const dueIso = toIsoLocal(due);
    if (this.history.list(job.id).some((r) => r.trigger === 'schedule' && r.scheduled_at === dueIso)) return;
    job.lastFired = due;
    this.fireScheduled(job, { trigger: 'schedule', scheduledAt: due, attempt: 0 });
  }

  /** Runs `change` after every earlier change of the same job has settled. */
  private exclusive<T>(id: string, change: () => Promise<T>): Promise<T> {
    const before = this.jobLocks.get(id) ?? Promise.resolve();
    const result = before.then(change);
    const settled = result.then(
      () => undefined,
      () => undefined,
    );
    this.jobLocks.set(id, settled);
    void settled.then(() => {
      if (this.jobLocks.get(id) === settled) this.jobLocks.delete(id);
    });
    return result;
  }

  private definitionOf(entry: RegistryEntry): JobDefinition {
    const doc = entry.schedule ? { ...entry.config, schedule: entry.schedule } : entry.config;
    const def = parseJobDocument(doc, { id: entry.job_id, source: entry.file ?? `registry entry ${entry.job_id}` });
    // The parse made plain copies of the entry's config and schedule; the stored ones are already
    // plain JSON (they were such copies when saved) and are never edited: keep one, not two.
    def.config = entry.config;
    def.scheduleDoc = entry.schedule;
    return def;
  }

  // ── timers ───────────────────────────────────────────────────────────────

  private arm(job: Job, after = Date.now()): void {
    if (this.closing) return;
    armJob(job, this.fires, after, this.fireLeadMs);
  }

  /**
   * The wall clock jumped (or the machine slept): plan every job again from the new time. A fire
   * whose instant is now behind us is handled as a late fire (run within misfire_grace_time, else
   * recorded missed); the others are armed for their next instant after the new now.
   */
  private replanAll(deltaMs: number): void {
    if (this.closing) return;
    this.logger.warn(`the wall clock jumped ${deltaMs > 0 ? 'forward' : 'back'} by ${Math.round(Math.abs(deltaMs) / 1000)} s; planning every job's next fire again`);
    const now = Date.now();
    for (const job of this.table.values()) {
      if (!job.timer || job.nextFire === null) continue;
      const nominal = job.nextFire;
      if (nominal <= now) {
        const planned = job.timer.at + this.fireLeadMs;
        disarmJob(job);
        this.onTimer(job, nominal, planned);
      } else {
        this.arm(job, now);
      }
    }
  }

  private onTimer(job: Job, nominal: number, planned: number): void {
    if (this.table.get(job.id) !== job || this.closing) return;
    job.lastFired = nominal;
    const late = Date.now() - planned;
    const grace = job.def.policy.misfire_grace_time;
    if (late > grace * 1000) {
      // A suspend or clock jump made us this late: record the miss, do not replay.
      const error = `fire was ${Math.round(late / 1000)}s late, more than misfire_grace_time (${grace}s)`;
      if (this.link) void this.link.fire(job, { trigger: 'schedule', scheduledAt: nominal, attempt: 0 }, { missed: error });
      else this.engine.recordEnded(notRunRecord(job, { trigger: 'schedule', scheduledAt: nominal, attempt: 0 }, 'missed', error));
    } else {
      this.fireScheduled(job, { trigger: 'schedule', scheduledAt: nominal, attempt: 0, notBefore: planned });
    }
    this.arm(job, Math.max(Date.now(), nominal));
  }

  // ── runs ─────────────────────────────────────────────────────────────────

  /**
   * Applies the job's overlap policy to one fire of `request`'s kind, as its timer or a retry
   * would (for tests and tools; the supervisor's own timers hand fires to the run engine).
   */
  fire(id: string, request: FireRequest): FireResult {
    const outcome = this.engine.fire(this.getJob(id), request);
    return outcome.kind === 'skipped' || outcome.kind === 'missed' ? outcome : { kind: outcome.kind, runId: outcome.run.runId };
  }

  private async markInterrupted(): Promise<void> {
    const unfinished = this.history.unfinished();
    if (unfinished.length === 0) return;
    const killed = await killStaleRunProcesses(new Set(unfinished.map((r) => r.run_id)));
    const now = toIsoLocal(Date.now());
    for (const record of unfinished) {
      const interrupted: RunRecord = { ...record, status: 'interrupted', ended_at: now, error: 'the server stopped while this run was in progress' };
      this.history.record(interrupted, this.configuredKeep(record.job_id));
      emitEnded(this.events, interrupted);
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

  // ── jobs: queries ────────────────────────────────────────────────────────

  private getJob(id: string): Job {
    const job = this.table.get(id);
    if (!job) throw new MxxError('JOB_NOT_FOUND', `job ${id} not found`, { hint: 'list jobs with: mxx list' });
    return job;
  }

  /** The job's parsed definition (a copy is not made: treat it as read-only), or undefined. */
  definition(id: string): Readonly<JobDefinition> | undefined {
    return this.table.get(id)?.def;
  }

  hasJob(id: string): boolean {
    return this.table.has(id);
  }

  /** The job as it stands now; JOB_NOT_FOUND for an unknown id. */
  job(id: string): JobView {
    const job = this.getJob(id);
    const running = [...job.active.values()];
    // The run in progress describes the job best; otherwise the newest finished one.
    const last = running.at(-1)?.record ?? this.history.latest(job.id);
    const loadError = job.entry.file === undefined ? undefined : this.loadErrors.get(job.entry.file);
    return {
      id: job.id,
      schedule: job.entry.schedule,
      onDemand: job.schedule === null,
      paused: job.entry.paused,
      nextFire: job.nextFire,
      source: job.entry.source,
      ...(job.entry.file === undefined ? {} : { file: job.entry.file }),
      running: running.map((r) => r.runId),
      lastRun: last ? { ...last } : null,
      executionCount: job.entry.execution_count,
      ...(loadError === undefined ? {} : { loadError: { ...loadError } }),
      version: job.version,
    };
  }

  /**
   * Moves whenever any job's state changes, or a job comes or goes: while it stands still, every
   * answer about jobs is the same as before (the API's listing cache keys on it).
   */
  get changes(): number {
    return statusEpoch.value;
  }

  /** The jobs of a listing in registration order, with their versions (see JobView.version). */
  listJobs(filter: JobFilter = 'all'): ListedJob[] {
    const out: ListedJob[] = [];
    for (const job of this.table.values()) {
      if (filter === 'active' && job.active.size === 0) continue;
      if (filter === 'scheduled' && (!job.schedule || job.entry.paused)) continue;
      out.push({ id: job.id, version: job.version });
    }
    return out;
  }

  nextFires(id: string, n: number, from: number): number[] {
    const job = this.getJob(id);
    return job.schedule ? job.schedule.nextN(from, n) : [];
  }

  // ── registry: queries ────────────────────────────────────────────────────

  /** Registered ids, including entries that are not valid jobs (kept but not armed). */
  get jobCount(): number {
    return this.registry.size;
  }

  /**
   * The registry entry of `id`. A job's own entry is the one live value (its run counters reach the
   * registry file once a second); an entry that is not a valid job is answered as stored.
   */
  entry(id: string): RegistryEntry | undefined {
    const stored = this.registry.get(id);
    return stored ? { ...(this.table.get(id)?.entry ?? stored) } : undefined;
  }

  /** Every registry entry, in registration order (see entry()). */
  entries(): RegistryEntry[] {
    return this.registry.list().map((stored) => ({ ...(this.table.get(stored.job_id)?.entry ?? stored) }));
  }

  /** The jobs defined by this server's job files (on a shared store, not those of the others' folders). */
  fileJobs(): FileJob[] {
    const out: FileJob[] = [];
    for (const entry of this.registry.list()) {
      if (isOwnFileEntry(entry, this.nodeId) && entry.file !== undefined) out.push({ jobId: entry.job_id, file: entry.file });
    }
    return out;
  }

  /** Notes which job id a file of this server's folder defines (null: none, or the file is gone). */
  noteFolderFile(file: string, id: string | null): void {
    if (id === null) this.folderFiles.delete(file);
    else this.folderFiles.set(file, id);
  }

  /** This server's job files that define `id`, in name order. */
  folderFilesDefining(id: string): string[] {
    return [...this.folderFiles].filter(([, defines]) => defines === id).map(([file]) => file).sort();
  }

  /**
   * Calls `listener` with the id of each job another server changed (registered, edited, paused,
   * removed), after this server applied it; returns the unsubscribe.
   */
  onRemoteJobChange(listener: (id: string) => void): () => void {
    this.remoteJobListeners.add(listener);
    return () => this.remoteJobListeners.delete(listener);
  }

  // ── jobs: user actions ───────────────────────────────────────────────────

  /** Runs the job once now (checked against its runs on every server of a cluster). */
  async trigger(id: string): Promise<Triggered> {
    this.assertOpen();
    const job = this.getJob(id);
    const outcome = this.link ? await this.link.trigger(job) : this.engine.fire(job, { trigger: 'manual', scheduledAt: Date.now(), attempt: 0 });
    if (outcome.kind === 'missed') {
      throw new MxxError('PLACEMENT_MISMATCH', `${outcome.reason}: it runs only on a server with every label in its [placement]`, {
        hint: 'start a server with those labels (--label NAME), or change the job\'s [placement] labels',
      });
    }
    if (outcome.kind === 'skipped') {
      throw new MxxError('JOB_BUSY', `job ${id} was not started: ${outcome.reason}`, {
        hint: `its overlap policy is "${job.def.policy.overlap}"; stop the running run first (mxx stop ${id}) or change policy.overlap`,
      });
    }
    return { jobId: id, runId: outcome.run.runId, queued: outcome.kind === 'queued' };
  }

  /** Stops the job's runs in progress (and its queued fire). Resolves with their ids when they have ended. */
  async stop(id: string): Promise<string[]> {
    const job = this.getJob(id);
    const runs = [...job.active.values(), ...(job.pending ? [job.pending] : [])];
    for (const run of runs) this.engine.stop(run, 'cancelled');
    const elsewhere = this.link ? this.link.stopElsewhere(id) : Promise.resolve([]);
    const [, remote] = await Promise.all([Promise.all(runs.map((r) => r.done)), elsewhere]);
    return [...runs.map((r) => r.runId), ...remote];
  }

  // ── several servers ──────────────────────────────────────────────────────

  /** The servers sharing this server's store (SPEC §15); null with the files store (one server). */
  async nodes(): Promise<NodeView[] | null> {
    return this.link ? this.link.cluster.nodes() : null;
  }

  /** This server in its cluster, for /health; null with the files store. */
  clusterStatus(): ReturnType<Cluster['status']> | null {
    return this.link?.cluster.status() ?? null;
  }

  /**
   * Another server changed job `id` in the store: read it and apply it here as the change was
   * applied there (installed and armed, paused, resumed, or removed), with the same events.
   */
  private async applyStoredJob(id: string): Promise<void> {
    await this.applyStoredJobOnce(id);
    for (const listener of this.remoteJobListeners) {
      try {
        listener(id);
      } catch (error) {
        this.logger.error('a listener of other servers\' job changes failed', { error: error instanceof Error ? error : String(error) });
      }
    }
  }

  private applyStoredJobOnce(id: string): Promise<void> {
    const registry = this.store.coordination?.registry;
    if (!registry) return Promise.resolve();
    return this.exclusive(id, async () => {
      if (this.closing) return;
      const entry = await registry.reload(id);
      const job = this.table.get(id);
      if (!entry) {
        if (!job) return;
        disarmJob(job, { retriesToo: true });
        if (job.pending) this.engine.stop(job.pending, 'cancelled');
        this.table.remove(job);
        this.events.emit('job.removed', { job_id: id, source: job.entry.source, ...(job.entry.file === undefined ? {} : { file: job.entry.file }), running: job.active.size });
        return;
      }
      const sameDefinition = job !== undefined && JSON.stringify([job.entry.config, job.entry.schedule]) === JSON.stringify([entry.config, entry.schedule]);
      if (job && sameDefinition) {
        // Another server's folder may have taken the job over with identical content: who owns it.
        if (job.entry.source !== entry.source || job.entry.file !== entry.file || job.entry.node !== entry.node) {
          Object.assign(job.entry, { source: entry.source, file: entry.file, node: entry.node });
          for (const key of ['file', 'node'] as const) if (entry[key] === undefined) delete job.entry[key];
          touch(job);
        }
        job.entry.execution_count = Math.max(job.entry.execution_count, entry.execution_count);
        if (entry.last_triggered) job.entry.last_triggered = entry.last_triggered;
        if (job.entry.paused === entry.paused) return;
        job.entry.paused = entry.paused;
        touch(job);
        if (entry.paused) {
          disarmJob(job, { retriesToo: true });
          this.events.emit('job.paused', { job_id: id, stopped: 0 });
        } else {
          this.arm(job);
          this.events.emit('job.resumed', { job_id: id, next_run: job.nextFire === null ? null : toIsoLocal(job.nextFire) });
        }
        return;
      }
      let def: JobDefinition;
      try {
        def = this.definitionOf(entry);
      } catch (error) {
        this.logger.error(`job ${id} as another server stored it is not a valid job here; it is not armed`, { error: error instanceof Error ? error.message : String(error) });
        return;
      }
      const installed = this.table.install(def, { ...entry });
      if (!entry.paused) this.arm(installed, armAfterReplacing(job, Date.now()));
      this.events.emit(job ? 'job.updated' : 'job.registered', {
        job_id: id,
        source: entry.source,
        ...(entry.file === undefined ? {} : { file: entry.file }),
        on_demand: !installed.schedule,
        next_run: installed.nextFire === null ? null : toIsoLocal(installed.nextFire),
      });
    });
  }

  /** The change listener lost notices: every job is read again (added, changed and removed ones). */
  private async resyncJobs(): Promise<void> {
    const { coordination } = this.store;
    if (!coordination) return;
    const { rows } = await coordination.db.query<{ id: string }>('could not list the jobs', 'SELECT id FROM mxx_jobs');
    const ids = new Set([...rows.map((r) => r.id), ...[...this.table.values()].map((job) => job.id)]);
    await Promise.all([...[...ids].map((id) => this.applyStoredJob(id)), coordination.history.pull()]);
  }

  /** Pauses a job once the pause is persisted (it survives a restart); `terminate` also stops its runs. */
  async cancel(id: string, { terminate = false }: { terminate?: boolean } = {}): Promise<Cancelled> {
    const job = await this.exclusive(id, async () => {
      const job = this.getJob(id);
      await this.registry.update(id, { paused: true });
      disarmJob(job, { retriesToo: true });
      job.entry.paused = true;
      touch(job);
      return job;
    });
    const stopped = terminate ? await this.stop(id) : [];
    this.events.emit('job.paused', { job_id: id, stopped: stopped.length });
    return { jobId: id, onDemand: !job.schedule, stopped };
  }

  resume(id: string): Promise<Resumed> {
    return this.exclusive(id, async () => {
      const job = this.getJob(id);
      const wasPaused = job.entry.paused;
      await this.registry.update(id, { paused: false });
      job.entry.paused = false;
      touch(job);
      this.arm(job);
      this.events.emit('job.resumed', { job_id: id, next_run: job.nextFire === null ? null : toIsoLocal(job.nextFire) });
      return { jobId: id, wasPaused };
    });
  }

  /** Clears a finished job's run state: its history and logs. */
  async clearRuns(id: string): Promise<void> {
    const job = this.getJob(id);
    if (job.active.size > 0 || job.pending) {
      throw new MxxError('JOB_BUSY', `job ${id} is running`, { hint: `stop it first: mxx stop ${id}` });
    }
    await this.history.clear(id);
    touch(job);
    await rm(join(this.paths.logs, id), { recursive: true, force: true });
  }

  // ── runs: queries ────────────────────────────────────────────────────────

  /** A job's runs, newest first; JOB_NOT_FOUND for an unknown job. */
  runs(id: string, { limit }: { limit?: number } = {}): RunRecord[] {
    this.getJob(id);
    return this.history.list(id, limit);
  }

  /**
   * One page of the runs of every job (or of query.jobs), newest first by run id (creation order),
   * live while they run; a job that is neither registered nor has runs kept is JOB_NOT_FOUND.
   */
  recentRuns(query: RunQuery): RunPage {
    for (const id of query.jobs ?? []) {
      if (this.registry.get(id) || this.history.count(id) > 0) continue;
      const known = this.registry.list().map((entry) => entry.job_id);
      throw new MxxError('JOB_NOT_FOUND', `job ${id} not found${didYouMean(id, known)}`, { hint: 'list jobs with: mxx list' });
    }
    const page = this.history.recent(query, (rec) => this.engine.runs.get(rec.run_id)?.record ?? rec);
    return { runs: page.runs.map((rec) => ({ ...rec })), more: page.more };
  }

  /** One run's record, live while it runs; RUN_NOT_FOUND for an unknown id. */
  run(runId: string): RunRecord {
    const record = this.engine.runs.get(runId)?.record ?? this.history.get(runId);
    if (!record) throw new MxxError('RUN_NOT_FOUND', `run ${runId} not found`, { hint: 'list runs with: mxx runs JOB' });
    return { ...record };
  }

  /** Whether the run is accepted and not yet ended (waiting for a slot, queued, or running). */
  /**
   * Where the log of a run another server ran can be read: that server's advertised URL while it
   * is alive; null for this server's runs, with the files store, or when the store cannot say.
   */
  async runOwnerUrl(record: Pick<RunRecord, 'node'>): Promise<string | null> {
    if (!this.link || record.node === undefined || record.node === this.link.cluster.nodeId) return null;
    return this.link.cluster.liveUrlOf(record.node).catch(() => null);
  }

  isRunActive(runId: string): boolean {
    return this.engine.runs.has(runId);
  }

  /** Bytes in an active run's log so far, as its last output event said; undefined once it has ended. */
  runOutputBytes(runId: string): number | undefined {
    return this.engine.runs.get(runId)?.outputBytes;
  }

  runLogPath(run: Pick<RunRecord, 'job_id' | 'run_id'>): string {
    return runLogFile(this.paths, run.job_id, run.run_id);
  }

  get runningCount(): number {
    return this.engine.runs.size;
  }

  get queuedCount(): number {
    return this.engine.queued;
  }

  /** Runs accepted and not started: waiting for a free slot, or queued behind their own job's run (overlap = queue). */
  get waitingCount(): number {
    let behindOwnRun = 0;
    for (const job of this.table.values()) if (job.pending) behindOwnRun++;
    return this.engine.queued + behindOwnRun;
  }

  /** Storage faults that failed a run since start, by kind. */
  faultCounts(): { log: number; history: number; registry: number } {
    return { ...this.faults.counts };
  }

  // ── job files' load errors ───────────────────────────────────────────────

  /** `transient`: the file's change could not be saved; the watcher applies it again later. `line`, `column`: where, when known. */
  setLoadError(file: string, jobId: string | null, error: string, options: LoadErrorOptions = {}): void {
    this.loadErrors.set(file, jobId, error, options);
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

  /**
   * Log files are deleted with the records they belong to: once a job has ended `history` runs since
   * its last prune (counted here, not derived from execution_count, which concurrent runs skip past).
   */
  private countLogForPruning(job: Job): void {
    const state = this.prunes.get(job.id) ?? { ended: 0, running: false };
    this.prunes.set(job.id, state);
    state.ended++;
    if (state.running || state.ended < job.def.policy.history) return;
    state.ended = 0;
    state.running = true;
    void this.pruneLogs(job.id)
      .catch((error: unknown) => this.faults.report('log', `could not prune the logs of job ${job.id}`, { error: String(error) }))
      .finally(() => (state.running = false));
  }

  /** Deletes log files of runs no longer in a job's history. */
  private async pruneLogs(jobId: string): Promise<void> {
    const keep = new Set(this.history.list(jobId).map((r) => `${r.run_id}.log`));
    const dir = join(this.paths.logs, jobId);
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      if (!keep.has(name)) await rm(join(dir, name), { force: true });
    }
  }
}

export function createSupervisor(options: SupervisorOptions, store?: Store): Supervisor {
  return new Supervisor(options, store);
}
