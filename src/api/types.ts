/** JSON shapes of the REST API (SPEC §4). The server produces them; the CLI reads them. */
import type { RegistryEntry, RunRecord, RunStatus } from '../records.js';
import type { WireSource } from './source.js';

export type JobStatus = 'pending' | Exclude<RunStatus, 'queued' | 'missed'>;

/** GET /jobs/{id}, and each item of GET /jobs and GET /jobs/active. */
export interface JobStatusBody {
  job_id: string;
  /** The last run's outcome, `running` while one runs, `pending` before the first run. */
  status: JobStatus;
  /** Has a schedule that is armed (not paused, not exhausted). */
  scheduled: boolean;
  /** Has a schedule but it was cancelled (DELETE /jobs/{id}). */
  paused: boolean;
  on_demand: boolean;
  source: WireSource;
  /** The schedule section as written (null = on-demand). */
  schedule: Record<string, unknown> | null;
  next_run_time: string | null;
  /** Start and end of the last (or current) run. */
  start_time: string | null;
  end_time: string | null;
  error: string | null;
  last_run: RunRecord | null;
  running: boolean;
  /** run_ids in progress. */
  running_runs: string[];
  execution_count: number;
  /** policy.group, or null. */
  group: string | null;
  /** With `?recent=N` (GET /jobs, /jobs/active, /jobs/{id}): the newest N runs, newest first. */
  recent_runs?: RecentRun[];
  /** Present while the job's file fails to load after an edit: the job runs its last good definition. */
  load_error?: JobLoadError;
}

/** Why a job file failed to load: `error` is the loader's message (it starts with the file's name). */
export interface JobLoadError {
  /** Absolute path of the file. */
  file: string;
  error: string;
  /** 1-based, when the parser locates the error (syntax errors); absent for a key that fails validation. */
  line?: number;
  column?: number;
}

/** One run of a job's `recent_runs`: what a status strip shows. */
export interface RecentRun {
  run_id: string;
  status: RunStatus;
  started_at: string | null;
  duration_ms: number | null;
}

export interface JobListBody {
  jobs: JobStatusBody[];
  count: number;
}

/** POST /jobs */
export interface RegisterBody {
  job_id: string;
  status: 'scheduled' | 'registered';
  next_run?: string | null;
  on_demand?: boolean;
  overlaps: string[];
  replaced?: boolean;
}

/** POST /jobs/{id}/trigger */
export interface TriggerBody {
  job_id: string;
  run_id: string;
  execution_id: string;
  status: 'triggered' | 'queued';
}

/** POST /jobs/{id}/stop, DELETE /jobs/{id}, POST /jobs/{id}/resume, POST /jobs/{id}/remove, DELETE /registry/{id} */
export interface ActionBody {
  job_id: string;
  message: string;
  /** run_ids that were stopped, if any. */
  stopped?: string[];
}

export interface RunsBody {
  job_id: string;
  runs: RunRecord[];
  count: number;
}

/** GET /runs: runs of every job, newest first by run id (creation order). */
export interface RunListBody {
  runs: RunRecord[];
  count: number;
  /** Present when more runs match: pass it as `before` for the next page. */
  next_before?: string;
}

/** GET /timeline: the fires of every armed job between `from` and `to`. */
export interface TimelineBody {
  from: string;
  to: string;
  jobs: TimelineJob[];
  count: number;
}

export interface TimelineJob {
  job_id: string;
  /** Fire instants in the window, oldest first, at most `limit`. */
  fires: string[];
  /** More fires fall in the window than `fires` holds. */
  more: boolean;
}

export interface NextBody {
  job_id: string;
  next: string[];
}

export interface ValidateBody {
  valid: boolean;
  errors: Array<{ path: string; message: string; line?: number; column?: number }>;
  next: string[];
}

export interface RegistryListBody {
  jobs: RegistryEntryBody[];
  count: number;
  filter: 'all' | 'scheduled' | 'on_demand';
}

/** GET /registry/{id}: the stored entry with its live counters, and `source` as the original shows it. */
export type RegistryEntryBody = Omit<RegistryEntry, 'source'> & { source: WireSource };

export interface HealthBody {
  status: 'healthy';
  service: 'mxx-scheduler';
  version: string;
  uptime_s: number;
  jobs: number;
  running: number;
  /** Of `running`: runs waiting for a free slot (max_concurrency). */
  queued: number;
  /** Job files that failed to load (count) and which. */
  load_errors: number;
  load_error_files: Array<{ file: string; error: string }>;
  /** The watched jobs folder; `watching` is false while it is missing (changes are not seen). */
  jobs_folder?: { dir: string; watching: boolean; problem?: string; since?: string };
  /** Runs failed by storage faults since start (log folder or file could not be written). */
  faults: { log: number; history: number; registry: number };
  /** Who forks the runs: the compiled helper (dist/native/mxx-spawn), the Node spawner, or the worker threads. */
  spawner: 'native' | 'node' | 'thread';
  /** This server's labels, for jobs' [placement] (--label); [] when none. */
  labels: string[];
  /** Where jobs and runs are kept; connected: the last database statement succeeded (files: always). */
  store: { kind: 'files' | 'postgres'; connected: boolean };
  /**
   * PostgreSQL store: this server in its cluster. live: it holds its lease and claims fires;
   * error: why not (the store does not answer), null while it does; skew_ms: database clock minus ours.
   */
  cluster?: { node_id: string; epoch: number; live: boolean; error: string | null; skew_ms: number | null };
}

/** GET /nodes: the servers sharing the store (one, this one, with the files store). */
export interface NodesBody {
  store: 'files' | 'postgres';
  nodes: import('../cluster/nodes.js').NodeView[];
}

export interface ErrorBody {
  error: string;
  code: string;
  hint?: string;
  details?: unknown;
}
