/** The GET /jobs cache: a job's JSON is built again only for a new version, the bytes only after a change. */
import { describe, expect, it } from 'vitest';
import { createJobListing } from '../../src/api/job-listing.js';
import type { JobView, ListedJob, Supervisor } from '../../src/supervisor/index.js';

function view(id: string, version: number, running: string[] = []): JobView {
  return { id, schedule: null, onDemand: true, paused: false, nextFire: null, source: 'api', running, lastRun: null, executionCount: version, version };
}

/** A supervisor that answers from a table the test edits, counting the states it was asked for. */
function fakeSupervisor() {
  const jobs = new Map<string, JobView>();
  const state = { changes: 0, asked: [] as string[] };
  const supervisor = {
    get changes() {
      return state.changes;
    },
    listJobs: (filter: string): ListedJob[] =>
      [...jobs.values()].filter((job) => filter !== 'active' || job.running.length > 0).map(({ id, version }) => ({ id, version })),
    definition: () => undefined,
    job: (id: string): JobView => {
      state.asked.push(id);
      return jobs.get(id)!;
    },
  };
  const set = (job: JobView): void => {
    jobs.set(job.id, job);
    state.changes++;
  };
  const remove = (id: string): void => {
    jobs.delete(id);
    state.changes++;
  };
  return { supervisor: supervisor as unknown as Supervisor, state, set, remove };
}

const parse = (bytes: Uint8Array) => JSON.parse(Buffer.from(bytes).toString('utf8')) as { jobs: Array<{ job_id: string; execution_count: number }>; count: number };

describe('the job listing cache', () => {
  it('serves the same bytes while nothing changed, and rebuilds only the jobs whose version moved', () => {
    const fake = fakeSupervisor();
    const listing = createJobListing(fake.supervisor);
    fake.set(view('a', 1));
    fake.set(view('b', 2));
    const first = listing('all');
    expect(parse(first)).toMatchObject({ count: 2, jobs: [{ job_id: 'a' }, { job_id: 'b' }] });
    expect(fake.state.asked).toEqual(['a', 'b']);
    expect(listing('all')).toBe(first);
    fake.set(view('b', 3));
    expect(parse(listing('all')).jobs.map((j) => j.execution_count)).toEqual([1, 3]);
    expect(fake.state.asked).toEqual(['a', 'b', 'b']);
  });

  it('filters active jobs and forgets jobs that are gone', () => {
    const fake = fakeSupervisor();
    const listing = createJobListing(fake.supervisor);
    fake.set(view('idle', 1));
    fake.set(view('busy', 2, ['r1']));
    expect(parse(listing('active'))).toMatchObject({ count: 1, jobs: [{ job_id: 'busy' }] });
    fake.remove('busy');
    expect(parse(listing('all'))).toMatchObject({ count: 1, jobs: [{ job_id: 'idle' }] });
    expect(parse(listing('active'))).toEqual({ jobs: [], count: 0 });
    // A job of the same id registered again is a new state (versions are never reused).
    fake.set(view('busy', 3));
    expect(parse(listing('all')).jobs.map((j) => j.job_id)).toEqual(['idle', 'busy']);
  });
});
