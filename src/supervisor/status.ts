/** A job's status as the API shows it (SPEC §4 GET /jobs/{id}). */
import type { JobStatus, JobStatusBody } from '../api/types.js';
import { wireSource } from '../api/source.js';
import type { History } from '../history/index.js';
import { toIsoLocal, type RunRecord } from '../records.js';
import type { Job } from './types.js';

function statusOf(job: Job, last: RunRecord | undefined): JobStatus {
  if (job.active.size > 0) return 'running';
  if (!last) return 'pending';
  switch (last.status) {
    case 'queued':
      return 'running';
    case 'missed':
      return 'skipped';
    default:
      return last.status;
  }
}

/** `brief` leaves the output tail out of `last_run`: listings stay small with thousands of jobs. */
export function jobStatusBody(job: Job, history: History, brief = false): JobStatusBody {
  const running = [...job.active.values()];
  // The run in progress describes the job best; otherwise the newest finished one.
  const newest = running.at(-1)?.record ?? history.latest(job.id);
  let last = newest;
  if (brief && newest?.output_tail !== undefined) {
    const { output_tail: _tail, ...rest } = newest;
    last = rest;
  }
  return {
    job_id: job.id,
    status: statusOf(job, last),
    scheduled: job.schedule !== null && !job.entry.paused && job.nextFire !== null,
    paused: job.entry.paused,
    on_demand: job.schedule === null,
    source: wireSource(job.entry),
    schedule: job.entry.schedule,
    next_run_time: job.nextFire === null ? null : toIsoLocal(job.nextFire),
    start_time: last?.started_at ?? null,
    end_time: last?.ended_at ?? null,
    error: last?.error ?? null,
    last_run: last ?? null,
    running: running.length > 0,
    running_runs: running.map((r) => r.runId),
    execution_count: job.entry.execution_count,
  };
}
