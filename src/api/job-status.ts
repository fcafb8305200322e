/** A job's status as the API shows it (SPEC §4 GET /jobs/{id}), from the supervisor's JobView. */
import { toIsoLocal, type RunRecord } from '../records.js';
import type { JobView } from '../supervisor/index.js';
import type { LoadError } from '../supervisor/load-errors.js';
import { wireSource } from './source.js';
import type { JobLoadError, JobStatus, JobStatusBody } from './types.js';

function statusOf(job: JobView, last: RunRecord | null): JobStatus {
  if (job.running.length > 0) return 'running';
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

function loadErrorBody({ file, error, line, column }: LoadError): JobLoadError {
  return { file, error, ...(line === undefined ? {} : { line, column: column ?? 1 }) };
}

/**
 * `brief` leaves the output tail out of `last_run`: listings stay small with thousands of jobs.
 * `group` is the job's policy.group (from its definition, which JobView does not carry).
 */
export function jobStatusBody(job: JobView, { brief = false, group }: { brief?: boolean; group?: string | undefined } = {}): JobStatusBody {
  let last = job.lastRun;
  if (brief && last?.output_tail !== undefined) {
    const { output_tail: _tail, ...rest } = last;
    last = rest;
  }
  return {
    job_id: job.id,
    status: statusOf(job, last),
    scheduled: !job.onDemand && !job.paused && job.nextFire !== null,
    paused: job.paused,
    on_demand: job.onDemand,
    source: wireSource(job),
    schedule: job.schedule,
    next_run_time: job.nextFire === null ? null : toIsoLocal(job.nextFire),
    start_time: last?.started_at ?? null,
    end_time: last?.ended_at ?? null,
    error: last?.error ?? null,
    last_run: last,
    running: job.running.length > 0,
    running_runs: job.running,
    execution_count: job.executionCount,
    group: group ?? null,
    ...(job.loadError === undefined ? {} : { load_error: loadErrorBody(job.loadError) }),
  };
}
