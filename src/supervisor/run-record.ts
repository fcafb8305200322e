/** The one builder of a run's first record, and of a record that is final as written. */
import { toIsoLocal, type RunRecord } from '../records.js';
import { createRunId } from './run-id.js';
import type { FireRequest, Job } from './types.js';

export function newRecord(job: Pick<Job, 'id'>, request: FireRequest, runId = request.runId ?? createRunId()): RunRecord {
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

/** A fire that did not run (skipped by its overlap policy, or missed), recorded as ended at `now`. */
export function notRunRecord(job: Pick<Job, 'id'>, request: FireRequest, status: 'skipped' | 'missed', error: string, now = Date.now()): RunRecord {
  return { ...newRecord(job, request, request.runId ?? createRunId(now)), status, ended_at: toIsoLocal(now), error };
}
