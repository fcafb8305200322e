/**
 * GET /jobs and GET /jobs/active as bytes (shape: JobListBody), cached: with thousands of jobs,
 * building and serialising every status on every request was most of its cost. Each job's JSON is
 * kept by its version, and each listing's bytes while the supervisor's change counter stands still.
 *
 * The dashboard asks for more (additive, never in the default answer): `recent` adds each job's
 * newest runs (`recent_runs`, for its status strip), `jobs` lists only those ids (the jobs an event
 * touched, refreshed in one request). A job's version moves when one of its runs changes, so the
 * recent runs are cached by the same key.
 */
import { MxxError } from '../errors.js';
import type { JobFilter, Supervisor } from '../supervisor/index.js';
import { jobStatusBody } from './job-status.js';
import type { RecentRun } from './types.js';

export interface JobListingOptions {
  /** Add each job's newest `recent` runs as `recent_runs`. @default 0 (none) */
  recent?: number;
  /** Only these jobs, in this order; ids that are not registered are left out. @default every job */
  jobs?: readonly string[];
  /**
   * One page in registration order: at most `limit` jobs after the job `after` (from the start
   * without it). The answer adds `total` (jobs in the whole listing) and `next_after` while more
   * follow. @default every job, no paging fields
   */
  page?: { limit: number; after?: string };
}

export type JobListing = (filter: Extract<JobFilter, 'all' | 'active'>, options?: JobListingOptions) => Uint8Array;

/** A run as a status strip shows it. */
export function recentRunsOf(supervisor: Supervisor, id: string, limit: number): RecentRun[] {
  return supervisor.runs(id, { limit }).map((run) => ({ run_id: run.run_id, status: run.status, started_at: run.started_at, duration_ms: run.duration_ms }));
}

export function createJobListing(supervisor: Supervisor): JobListing {
  // By job: its version and its JSON for each `recent` asked (the CLI's 0 and the dashboard's 20 side by side).
  const items = new Map<string, { version: number; json: Map<number, string> }>();
  const listings = new Map<string, { changes: number; bytes: Uint8Array }>();
  const itemJson = (id: string, version: number, recent: number): string => {
    let item = items.get(id);
    if (item?.version !== version) {
      item = { version, json: new Map() };
      items.set(id, item);
    }
    let json = item.json.get(recent);
    if (json === undefined) {
      const body = jobStatusBody(supervisor.job(id), { brief: true, group: supervisor.definition(id)?.policy.group });
      json = JSON.stringify(recent > 0 ? { ...body, recent_runs: recentRunsOf(supervisor, id, recent) } : body);
      item.json.set(recent, json);
    }
    return json;
  };
  return (filter, { recent = 0, jobs: only, page } = {}) => {
    const changes = supervisor.changes;
    const key = `${filter}:${recent}`;
    const cached = only === undefined && !page ? listings.get(key) : undefined;
    if (cached?.changes === changes) return cached.bytes;
    let jobs = supervisor.listJobs(filter);
    if (only !== undefined) {
      const byId = new Map(jobs.map((job) => [job.id, job]));
      jobs = only.flatMap((id) => byId.get(id) ?? []);
    }
    if (page) return pageOf(jobs, page, (job) => itemJson(job.id, job.version, recent));
    const parts = jobs.map(({ id, version }) => itemJson(id, version, recent));
    const bytes = Buffer.from(`{"jobs":[${parts.join(',')}],"count":${jobs.length}}`);
    if (only !== undefined) return bytes;
    listings.set(key, { changes, bytes });
    // Jobs that are gone: forgotten once a full listing shows there are any.
    if (filter === 'all' && items.size > jobs.length) {
      const listed = new Set(jobs.map((job) => job.id));
      for (const id of items.keys()) if (!listed.has(id)) items.delete(id);
    }
    return bytes;
  };
}

/** One page of `jobs`: registration order, `after` exclusive; INVALID_REQUEST when `after` is not listed. */
function pageOf(jobs: ReadonlyArray<{ id: string; version: number }>, page: { limit: number; after?: string }, json: (job: { id: string; version: number }) => string): Uint8Array {
  let start = 0;
  if (page.after !== undefined) {
    const at = jobs.findIndex((job) => job.id === page.after);
    if (at < 0) {
      throw new MxxError('INVALID_REQUEST', `after=${page.after} is not a job of this listing (removed since the previous page?)`, {
        hint: 'start again from the first page (without after)',
      });
    }
    start = at + 1;
  }
  const slice = jobs.slice(start, start + page.limit);
  const more = start + slice.length < jobs.length;
  const next = more ? `,"next_after":${JSON.stringify(slice.at(-1)!.id)}` : '';
  return Buffer.from(`{"jobs":[${slice.map(json).join(',')}],"count":${slice.length},"total":${jobs.length}${next}}`);
}
