/**
 * What the page knows about the server, and the one owner of it: every job's status with its last
 * runs, /health, the broken job files, the failures of the last 24 h and the event stream's state.
 *
 * Live without polling: an event is applied to the job it names at once (the row changes within a
 * frame), and the job is marked for a refresh that fetches what an event does not carry (the next
 * fire time): one GET /jobs?job=… for every job touched in the last 200 ms. Each answer and each
 * event is numbered when asked for/applied, so an answer that left the server before an event is
 * never laid over what that event changed.
 */
import type { HealthBody, JobListBody, JobStatusBody, RecentRun, RunListBody } from '../api/types.js';
import type { ServerEvent } from '../events/types.js';
import type { RunStatus } from '../records.js';
import { ApiError, getJson } from './api.js';
import { openEventStream, type EventStream, type StreamState } from './stream.js';

export type Job = JobStatusBody & { recent_runs: RecentRun[] };

export interface BrokenFile {
  file: string;
  error: string;
}

/** Runs shown in each job's strip. */
export const STRIP_RUNS = 20;
const FAILED: ReadonlySet<string> = new Set(['failed', 'timed_out']);
const DAY_MS = 24 * 3600 * 1000;
const REFRESH_MS = 200;
/** Ids per GET /jobs?job=…; past a few hundred dirty jobs one full listing is cheaper. */
const IDS_PER_REQUEST = 50;
const FULL_RELOAD_AT = 400;
const FAILURES_LIMIT = 1000;

/** The job status the server shows for a run's status (src/api/job-status.ts). */
function jobStatusOf(status: RunStatus): JobStatusBody['status'] {
  if (status === 'queued') return 'running';
  if (status === 'missed') return 'skipped';
  return status;
}

export class Store {
  readonly jobs = new Map<string, Job>();
  health: HealthBody | null = null;
  /** Date.now() when health was fetched: the uptime shown ticks on from it. */
  healthAt = 0;
  readonly broken = new Map<string, BrokenFile>();
  /** End times (epoch ms) of failed and timed-out runs of the last 24 h. */
  failures: number[] = [];
  /** More failures than one request fetched: the count is at least this. */
  failuresCapped = false;
  stream: StreamState = 'connecting';
  streamDetail: string | undefined;
  /** server.stopping was seen and the stream has not come back yet. */
  stopping = false;
  loaded = false;
  loadError: string | null = null;
  /** Moves with every change of `jobs` (views cache their sorted lists by it). */
  jobsVersion = 0;

  private seq = 0;
  private readonly seqOf = new Map<string, number>();
  private readonly listeners = new Set<() => void>();
  private readonly eventListeners = new Set<(event: ServerEvent) => void>();
  private readonly reloadListeners = new Set<() => void>();
  private frame = 0;
  private readonly dirty = new Set<string>();
  private healthDirty = false;
  private refreshTimer: ReturnType<typeof setTimeout> | null = null;
  private refreshing = false;
  private eventStream: EventStream | null = null;

  start(): void {
    this.eventStream ??= openEventStream({
      // The snapshot is taken once the stream is up, so no event falls between the two. After a
      // reconnect the replay (Last-Event-ID) is not trusted alone: a server that restarted numbers
      // its events from 1 again, so ids the page saw may name other events now. One reload is cheap.
      open: () => void this.reload(),
      reset: () => void this.reload(),
      event: (event) => this.apply(event),
      state: (state, detail) => {
        this.stream = state;
        this.streamDetail = detail;
        if (state === 'live') {
          this.stopping = false;
          if (this.dirty.size > 0 || this.healthDirty) this.scheduleRefresh();
        }
        this.changed();
      },
    });
  }

  stop(): void {
    this.eventStream?.close();
    this.eventStream = null;
  }

  /** Called (once a frame at most) after anything changed. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Every event as it arrives (the job, run and timeline views refresh their own data from them). */
  onEvent(listener: (event: ServerEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  /** After a full reload (first load, reset, server restart): views reload their own data too. */
  onReload(listener: () => void): () => void {
    this.reloadListeners.add(listener);
    return () => this.reloadListeners.delete(listener);
  }

  failuresSince(now: number): number {
    const from = now - DAY_MS;
    if (this.failures.some((t) => t < from)) this.failures = this.failures.filter((t) => t >= from);
    return this.failures.length;
  }

  private changed(): void {
    if (this.frame) return;
    // One render per frame, however many events a chunk brought; a timer when frames are paused
    // (a hidden tab), so the state is never far behind.
    const flush = (): void => {
      cancelAnimationFrame(this.frame);
      clearTimeout(timer);
      this.frame = 0;
      for (const listener of this.listeners) listener();
    };
    this.frame = requestAnimationFrame(flush);
    const timer = setTimeout(flush, 250);
  }

  private jobsChanged(): void {
    this.jobsVersion++;
    this.changed();
  }

  // ── loading ──────────────────────────────────────────────────────────────

  /** Everything again: health, every job, the failures of the last 24 h. */
  async reload(): Promise<void> {
    const seq = ++this.seq;
    try {
      const since = new Date(Date.now() - DAY_MS).toISOString();
      const [health, list, failed] = await Promise.all([
        getJson<HealthBody>('/health'),
        getJson<JobListBody>(`/jobs?recent=${STRIP_RUNS}`),
        getJson<RunListBody>(`/runs?status=failed,timed_out&since=${encodeURIComponent(since)}&limit=${FAILURES_LIMIT}`),
      ]);
      this.setHealth(health);
      this.broken.clear();
      for (const { file, error } of health.load_error_files) this.broken.set(file, { file, error });
      const listed = new Set<string>();
      for (const job of list.jobs as Job[]) {
        listed.add(job.job_id);
        this.put(job, seq);
      }
      for (const id of [...this.jobs.keys()]) {
        if (!listed.has(id) && (this.seqOf.get(id) ?? 0) < seq) this.drop(id);
      }
      this.failures = failed.runs.map((run) => Date.parse(run.ended_at ?? run.started_at ?? run.scheduled_at ?? '')).filter((t) => !Number.isNaN(t));
      this.failuresCapped = failed.next_before !== undefined;
      this.loaded = true;
      this.loadError = null;
      this.jobsChanged();
      for (const listener of this.reloadListeners) listener();
    } catch (error) {
      if (seq !== this.seq) return;
      this.loadError = error instanceof ApiError ? error.message : String(error);
      this.changed();
      // The stream reconnects on its own; a failed load is retried shortly.
      setTimeout(() => void (seq === this.seq && this.reload()), 1000);
    }
  }

  private setHealth(health: HealthBody): void {
    this.health = health;
    this.healthAt = Date.now();
  }

  private put(job: Job, seq: number): void {
    if ((this.seqOf.get(job.job_id) ?? 0) > seq) return;
    job.recent_runs ??= [];
    this.jobs.set(job.job_id, job);
    this.seqOf.set(job.job_id, seq);
  }

  private drop(id: string): void {
    this.jobs.delete(id);
    this.seqOf.delete(id);
  }

  // ── events ───────────────────────────────────────────────────────────────

  private touch(id: string): Job | undefined {
    this.seqOf.set(id, ++this.seq);
    this.markDirty(id);
    return this.jobs.get(id);
  }

  private apply(event: ServerEvent): void {
    switch (event.type) {
      case 'run.queued':
      case 'job.registered':
      case 'job.updated':
        this.touch(event.job_id);
        this.healthDirty = true;
        break;
      case 'run.started': {
        const job = this.touch(event.job_id);
        if (job) {
          if (!job.running_runs.includes(event.run_id)) job.running_runs = [...job.running_runs, event.run_id];
          job.running = true;
          job.status = 'running';
          job.start_time = event.started_at;
          job.end_time = null;
          this.putRecent(job, { run_id: event.run_id, status: 'running', started_at: event.started_at, duration_ms: null });
        }
        this.healthDirty = true;
        break;
      }
      case 'run.ended': {
        const job = this.touch(event.job_id);
        if (job) {
          job.running_runs = job.running_runs.filter((id) => id !== event.run_id);
          job.running = job.running_runs.length > 0;
          job.status = job.running ? 'running' : jobStatusOf(event.status);
          job.end_time = event.time;
          job.error = event.error;
          job.last_run = {
            ...(job.last_run?.run_id === event.run_id ? job.last_run : {}),
            run_id: event.run_id,
            job_id: event.job_id,
            trigger: event.trigger,
            scheduled_at: event.scheduled_at,
            started_at: event.started_at,
            ended_at: event.time,
            status: event.status,
            exit_code: event.exit_code,
            signal: event.signal,
            pid: job.last_run?.pid ?? null,
            duration_ms: event.duration_ms,
            error: event.error,
            attempt: event.attempt,
          };
          this.putRecent(job, { run_id: event.run_id, status: event.status, started_at: event.started_at, duration_ms: event.duration_ms });
        }
        if (FAILED.has(event.status)) this.failures.push(Date.parse(event.time));
        this.healthDirty = true;
        break;
      }
      case 'run.skipped':
      case 'run.missed': {
        const job = this.touch(event.job_id);
        if (job) this.putRecent(job, { run_id: event.run_id, status: event.type === 'run.skipped' ? 'skipped' : 'missed', started_at: null, duration_ms: null });
        break;
      }
      case 'job.paused': {
        const job = this.touch(event.job_id);
        if (job) {
          job.paused = true;
          job.scheduled = false;
          job.next_run_time = null;
        }
        break;
      }
      case 'job.resumed': {
        const job = this.touch(event.job_id);
        if (job) {
          job.paused = false;
          job.next_run_time = event.next_run;
        }
        break;
      }
      case 'job.removed':
        this.seqOf.set(event.job_id, ++this.seq);
        this.jobs.delete(event.job_id);
        this.dirty.delete(event.job_id);
        this.healthDirty = true;
        break;
      case 'file.error':
        this.broken.set(event.file, { file: event.file, error: event.error });
        break;
      case 'file.fixed':
        this.broken.delete(event.file);
        break;
      case 'server.stopping':
        this.stopping = true;
        break;
    }
    if (this.healthDirty) this.scheduleRefresh();
    for (const listener of this.eventListeners) listener(event);
    this.jobsChanged();
  }

  /** A run into the job's strip (newest first): replaces its earlier state, or comes first. */
  private putRecent(job: Job, run: RecentRun): void {
    const at = job.recent_runs.findIndex((r) => r.run_id === run.run_id);
    const runs = [...job.recent_runs];
    if (at >= 0) runs[at] = { ...runs[at]!, ...run, started_at: run.started_at ?? runs[at]!.started_at };
    else runs.unshift(run);
    job.recent_runs = runs.slice(0, STRIP_RUNS);
  }

  // ── refreshing what events do not carry ──────────────────────────────────

  private markDirty(id: string): void {
    this.dirty.add(id);
    this.scheduleRefresh();
  }

  private scheduleRefresh(): void {
    if (this.refreshTimer || this.refreshing) return;
    this.refreshTimer = setTimeout(() => void this.refresh(), REFRESH_MS);
  }

  private async refresh(): Promise<void> {
    this.refreshTimer = null;
    this.refreshing = true;
    const ids = [...this.dirty];
    this.dirty.clear();
    const health = this.healthDirty;
    this.healthDirty = false;
    const seq = ++this.seq;
    try {
      if (ids.length >= FULL_RELOAD_AT) {
        await this.reload();
        return;
      }
      const requests: Array<Promise<void>> = [];
      if (health) requests.push(getJson<HealthBody>('/health').then((body) => this.setHealth(body)));
      for (let i = 0; i < ids.length; i += IDS_PER_REQUEST) {
        const chunk = ids.slice(i, i + IDS_PER_REQUEST);
        requests.push(
          getJson<JobListBody>(`/jobs?recent=${STRIP_RUNS}&job=${chunk.map(encodeURIComponent).join(',')}`).then((list) => {
            const got = new Set<string>();
            for (const job of list.jobs as Job[]) {
              got.add(job.job_id);
              this.put(job, seq);
            }
            // Asked for and not listed: unregistered meanwhile.
            for (const id of chunk) if (!got.has(id) && (this.seqOf.get(id) ?? 0) < seq) this.drop(id);
          }),
        );
      }
      await Promise.all(requests);
      this.jobsChanged();
    } catch {
      // Unreachable or starting: the stream's reconnect reloads what matters.
      for (const id of ids) this.dirty.add(id);
      this.healthDirty ||= health;
    } finally {
      this.refreshing = false;
      if (this.dirty.size > 0 || this.healthDirty) {
        if (this.stream === 'live') this.scheduleRefresh();
      }
    }
  }
}

export const store = new Store();
