import type { JobDefinition } from '../job/types.js';
import type { Schedule } from '../job/schedule.js';
import type { RegistryEntry, RunRecord, RunTrigger } from '../records.js';
import type { RunHandle } from '../pool.js';
import type { StopReason } from '../../workers/protocol.js';
import type { LazyMap, LazySet } from './lazy-collections.js';
import type { WallTimer } from './wall-timer.js';

/** A request to run a job once: from its schedule, a user, or a retry. */
export interface FireRequest {
  trigger: RunTrigger;
  /** The instant the fire was planned for (null for a manual trigger). */
  scheduledAt: number | null;
  /** 0 for a first run, n for the n-th retry. */
  attempt: number;
  /** Epoch ms the process must not start before (a scheduled fire dispatched ahead of time). */
  notBefore?: number;
  /** The run's id, when it was chosen before the fire (a claim in the cluster store names it). */
  runId?: string;
}

/** A run the supervisor has accepted: waiting for a slot, or in the pool. */
export interface ActiveRun {
  runId: string;
  jobId: string;
  record: RunRecord;
  request: FireRequest;
  /** Set once the pool has it. */
  handle?: RunHandle;
  /** A stop asked for before the pool had the run. */
  stopReason?: StopReason;
  /** The run that replaced this one (overlap = 'replace'). */
  replacedBy?: string;
  /** Bytes of output so far (from the worker's wake-ups). */
  outputBytes: number;
  done: Promise<void>;
  resolveDone: () => void;
}

/** The supervisor's in-memory view of one registered job. */
export interface Job {
  id: string;
  def: JobDefinition;
  entry: RegistryEntry;
  /** Null for on-demand jobs. */
  schedule: Schedule | null;
  /** The armed fire (in the supervisor's FireQueue), or null. */
  timer: WallTimer | null;
  /** Nominal instant of the armed fire. */
  nextFire: number | null;
  /** Nominal instant of the newest fire handed to the run engine (kept across a replacement). */
  lastFired: number | null;
  active: LazyMap<string, ActiveRun>;
  /** overlap = 'queue': the one fire waiting for the current run to end. */
  pending: ActiveRun | null;
  retryTimers: LazySet<WallTimer>;
  /** Upcoming fire seconds (epoch s), for overlap warnings; recomputed when stale. */
  fireSeconds: number[] | null;
  /** Set by `touch` whenever anything its status shows changes: no two states of any jobs share one. */
  version: number;
}

/**
 * The newest version handed out: while it stands still, no job's status changed. One counter for
 * every job, so a version also tells a replaced job's states from its successor's.
 */
export const statusEpoch = { value: 0 };

/** Marks a job's status as changed (a listing cached by version builds it again). */
export function touch(job: Job | undefined): void {
  if (!job) return;
  job.version = ++statusEpoch.value;
}
