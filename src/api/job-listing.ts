/**
 * GET /jobs and GET /jobs/active as bytes (shape: JobListBody), cached: with thousands of jobs,
 * building and serialising every status on every request was most of its cost. Each job's JSON is
 * kept by its version, and each listing's bytes while the supervisor's change counter stands still.
 */
import type { JobFilter, Supervisor } from '../supervisor/index.js';
import { jobStatusBody } from './job-status.js';

export type JobListing = (filter: Extract<JobFilter, 'all' | 'active'>) => Uint8Array;

export function createJobListing(supervisor: Supervisor): JobListing {
  const items = new Map<string, { version: number; json: string }>();
  const listings = new Map<JobFilter, { changes: number; bytes: Uint8Array }>();
  return (filter) => {
    const changes = supervisor.changes;
    const cached = listings.get(filter);
    if (cached?.changes === changes) return cached.bytes;
    const jobs = supervisor.listJobs(filter);
    const parts = jobs.map(({ id, version }) => {
      let item = items.get(id);
      if (item?.version !== version) {
        item = { version, json: JSON.stringify(jobStatusBody(supervisor.job(id), { brief: true })) };
        items.set(id, item);
      }
      return item.json;
    });
    const bytes = Buffer.from(`{"jobs":[${parts.join(',')}],"count":${jobs.length}}`);
    listings.set(filter, { changes, bytes });
    // Jobs that are gone: forgotten once a full listing shows there are any.
    if (filter === 'all' && items.size > jobs.length) {
      const listed = new Set(jobs.map((job) => job.id));
      for (const id of items.keys()) if (!listed.has(id)) items.delete(id);
    }
    return bytes;
  };
}
