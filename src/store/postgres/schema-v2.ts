/**
 * Schema version 2: what the registry and history need on top of v1. `position` keeps the
 * registry's insertion order (a replaced job keeps its place, a job registered again after a delete
 * goes last); `seq` is the recording order of a run's first record, the history's tie-break.
 */
export const SCHEMA_V2 = `
ALTER TABLE mxx_jobs ADD COLUMN position bigserial;
ALTER TABLE mxx_runs ADD COLUMN seq bigserial;
CREATE INDEX mxx_runs_job_seq ON mxx_runs (job_id, seq);
`;
