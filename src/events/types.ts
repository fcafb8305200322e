/** The server's events (SPEC §10): what the event stream, the server log, metrics and notifications see. */
import type { RunStatus, RunTrigger } from '../records.js';

export const EVENT_TYPES = [
  'run.queued',
  'run.started',
  'run.ended',
  'run.skipped',
  'run.missed',
  'job.registered',
  'job.updated',
  'job.removed',
  'job.paused',
  'job.resumed',
  'file.error',
  'file.fixed',
  'server.stopping',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

interface RunFields {
  job_id: string;
  run_id: string;
  trigger: RunTrigger;
  /** ISO 8601; null for a manual trigger. */
  scheduled_at: string | null;
}

/** The fields of each event type, besides `id`, `type` and `time`. */
export interface EventFields {
  /** Waiting: behind the job's own run (overlap = queue) or for a free slot (max_concurrency). */
  'run.queued': RunFields & { reason: 'overlap' | 'concurrency' };
  'run.started': RunFields & { pid: number | null; started_at: string | null };
  'run.ended': RunFields & {
    status: RunStatus;
    exit_code: number | null;
    signal: string | null;
    duration_ms: number | null;
    started_at: string | null;
    ended_at: string | null;
    error: string | null;
    attempt: number;
  };
  'run.skipped': RunFields & { reason: string | null };
  'run.missed': RunFields & { reason: string | null };
  'job.registered': { job_id: string; source: 'api' | 'file'; file?: string; on_demand: boolean; next_run: string | null };
  'job.updated': { job_id: string; source: 'api' | 'file'; file?: string; on_demand: boolean; next_run: string | null };
  'job.removed': { job_id: string; source: 'api' | 'file'; file?: string; running: number };
  'job.paused': { job_id: string; stopped: number };
  'job.resumed': { job_id: string; next_run: string | null };
  /** A job file failed to load; `job_id` when the file names a known job. */
  'file.error': { file: string; job_id?: string; error: string; transient?: boolean };
  /** A job file that had failed loaded again. */
  'file.fixed': { file: string; job_id?: string };
  /** `running`: the ids of the runs being stopped; `runs`: the same with their jobs. */
  'server.stopping': { running: string[]; runs: Array<{ job_id: string; run_id: string }> };
}

/** One event as sent: `id` increases for the server's lifetime; `time` is ISO 8601 with offset. */
export type ServerEvent = {
  [T in EventType]: { id: number; type: T; time: string } & EventFields[T];
}[EventType];

export type EventOf<T extends EventType> = Extract<ServerEvent, { type: T }>;
