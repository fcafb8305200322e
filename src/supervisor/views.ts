/**
 * The plain values the supervisor answers with: copies, never its internal objects. Instants are
 * epoch milliseconds; the API turns them into its wire bodies (src/api/types.ts).
 */
import type { JobSource, RunRecord } from '../records.js';
import type { LoadError } from './load-errors.js';

/** A page of the runs of every job (Supervisor.recentRuns): the query and its answer. */
export type { RecentRunsQuery as RunQuery, RecentRunsPage as RunPage } from '../history/recent.js';

export type JobFilter = 'all' | 'active' | 'scheduled';

/** One job as it stands now. */
export interface JobView {
  id: string;
  /** The schedule section as written; null for an on-demand job. */
  schedule: Record<string, unknown> | null;
  onDemand: boolean;
  /** Cancelled (DELETE /jobs/{id}) until resumed. */
  paused: boolean;
  /** The armed fire's nominal instant; null when none is armed (on demand, paused, exhausted). */
  nextFire: number | null;
  source: JobSource;
  /** For a job file: its absolute path. */
  file?: string;
  /** Runs in progress, oldest first. */
  running: string[];
  /** The newest run in progress, else the newest recorded run. */
  lastRun: RunRecord | null;
  executionCount: number;
  /** Its job file's last change failed to load: the job runs its last good definition meanwhile. */
  loadError?: LoadError;
  /** Changes whenever anything above changes; never the same for two states of any job. */
  version: number;
}

/** A job of a listing and its version: its state is fetched only when the version is new. */
export interface ListedJob {
  id: string;
  version: number;
}

export interface Registered {
  jobId: string;
  onDemand: boolean;
  nextFire: number | null;
  /** Jobs firing at the same second within the next 24 h. */
  overlaps: string[];
  /** An entry with this id existed before. */
  replaced: boolean;
}

export interface Unregistered {
  jobId: string;
  /** Runs in progress that go on to their end. */
  running: number;
}

export interface Triggered {
  jobId: string;
  runId: string;
  /** Waiting behind a run in progress (overlap = queue) or for a free slot. */
  queued: boolean;
}

export interface Cancelled {
  jobId: string;
  onDemand: boolean;
  /** Runs stopped (with terminate). */
  stopped: string[];
}

export interface Resumed {
  jobId: string;
  wasPaused: boolean;
}

/** What one fire came to. */
export type FireResult = { kind: 'started' | 'queued'; runId: string } | { kind: 'skipped' | 'missed'; reason: string };

/** A run wrote output (the 'run-output' event). */
export interface RunOutput {
  runId: string;
  jobId: string;
  /** Bytes of output so far. */
  outputBytes: number;
}

/** A job defined by a job file. */
export interface FileJob {
  jobId: string;
  file: string;
}
