/** GET /runs: the runs of every job, newest first, filtered and paged by key. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectApiError, startTestServer, waitFor, waitForRun, type TestServer } from '../_server.js';

let server: TestServer;
/** Every run id of alpha, beta and gamma, oldest first (the order they were triggered in). */
const triggered: string[] = [];
const byJob: Record<string, string[]> = { alpha: [], beta: [], gamma: [] };
/** An instant between the second and the third round of runs. */
let midway: string;

async function register(id: string, cmd: string): Promise<void> {
  const { status, body } = await server.call('/jobs', { method: 'POST', json: { job_id: id, config: { os: { cmd } } } });
  expect(status, JSON.stringify(body)).toBe(201);
}

async function runToEnd(jobId: string): Promise<any> {
  const { status, body } = await server.call(`/jobs/${jobId}/trigger`, { method: 'POST' });
  expect(status, JSON.stringify(body)).toBe(200);
  return waitForRun(server, body.run_id);
}

async function list(query = ''): Promise<any> {
  const { status, body } = await server.call(`/runs${query}`);
  expect(status, JSON.stringify(body)).toBe(200);
  expect(body.count).toBe(body.runs.length);
  return body;
}

const ids = (body: any): string[] => body.runs.map((r: any) => r.run_id);
const newestFirst = (list: string[]): string[] => [...list].reverse();

/** Follows next_before from `query`'s first page to its last; every id seen, in order. */
async function allPages(query: string, limit: number, between?: () => Promise<void>): Promise<{ seen: string[]; pages: number }> {
  const seen: string[] = [];
  let before: string | undefined;
  let pages = 0;
  for (;;) {
    const body = await list(`?limit=${limit}${query}${before ? `&before=${before}` : ''}`);
    pages++;
    expect(body.runs.length).toBeLessThanOrEqual(limit);
    seen.push(...ids(body));
    if (!body.next_before) return { seen, pages };
    expect(body.next_before).toBe(body.runs.at(-1).run_id);
    before = body.next_before;
    await between?.();
  }
}

beforeAll(async () => {
  server = await startTestServer();
  await register('alpha', 'echo a');
  await register('beta', 'echo b; exit 3');
  await register('gamma', 'echo g');
  for (let round = 0; round < 4; round++) {
    if (round === 2) midway = new Date().toISOString();
    for (const job of ['alpha', 'beta', 'gamma']) {
      const run = await runToEnd(job);
      expect(run.status).toBe(job === 'beta' ? 'failed' : 'completed');
      triggered.push(run.run_id);
      byJob[job]!.push(run.run_id);
    }
  }
});

afterAll(async () => {
  await server?.dispose();
});

describe('GET /runs', () => {
  it('lists the runs of every job, newest first, as full run records', async () => {
    const body = await list();
    expect(ids(body)).toEqual(newestFirst(triggered));
    expect(body.next_before).toBeUndefined();
    const first = body.runs[0];
    expect(first).toMatchObject({ job_id: 'gamma', trigger: 'manual', status: 'completed', exit_code: 0 });
    expect(first.started_at).toEqual(expect.any(String));
    expect(first.duration_ms).toEqual(expect.any(Number));
  });

  it('pages with limit and before: every run exactly once, in order', async () => {
    for (const limit of [1, 5, 12]) {
      const { seen, pages } = await allPages('&job=alpha,beta,gamma', limit);
      expect(seen).toEqual(newestFirst(triggered));
      expect(pages).toBe(Math.ceil(triggered.length / limit));
    }
  });

  it('the default page is 50 runs', async () => {
    await register('many', 'true');
    // Fires as its timer would: each starts a run or is recorded as skipped (the policy is skip).
    for (let i = 0; i < 55; i++) server.supervisor.fire('many', { trigger: 'schedule', scheduledAt: Date.now(), attempt: 0 });
    await waitFor(async () => (await list('?job=many&status=running,queued')).count === 0, 15_000, 'the runs of many to end');
    expect((await list('?job=many&limit=1000')).count).toBe(55);
    const body = await list('?job=many');
    expect(body.count).toBe(50);
    expect(body.next_before).toBe(body.runs[49].run_id);
    const rest = await list(`?job=many&before=${body.next_before}`);
    expect(rest.count).toBe(5);
    expect(rest.next_before).toBeUndefined();
  });

  it('keeps paging stable while new runs arrive', async () => {
    const arrived: string[] = [];
    const { seen } = await allPages('&job=alpha,beta,gamma', 4, async () => {
      arrived.push((await runToEnd('alpha')).run_id);
    });
    expect(seen).toEqual(newestFirst(triggered));
    // The new runs are on the first page now, newest first, ahead of the old ones.
    const first = await list(`?job=alpha,beta,gamma&limit=${arrived.length + 1}`);
    expect(ids(first)).toEqual([...newestFirst(arrived), triggered.at(-1)]);
    triggered.push(...arrived);
    byJob.alpha!.push(...arrived);
  });

  it('filters by job: one, a comma list, or the parameter repeated', async () => {
    expect(ids(await list('?job=beta'))).toEqual(newestFirst(byJob.beta!));
    const both = newestFirst(triggered.filter((id) => !byJob.gamma!.includes(id)));
    expect(ids(await list('?job=alpha,beta'))).toEqual(both);
    expect(ids(await list('?job=alpha&job=beta'))).toEqual(both);
    expect(ids(await list('?job=beta,alpha,beta'))).toEqual(both);
  });

  it('filters by status', async () => {
    const failed = await list('?status=failed');
    expect(ids(failed)).toEqual(newestFirst(byJob.beta!));
    expect(new Set(failed.runs.map((r: any) => r.exit_code))).toEqual(new Set([3]));
    const either = await list('?job=alpha,beta,gamma&status=completed,failed&limit=1000');
    expect(ids(either)).toEqual(newestFirst(triggered));
    expect((await list('?job=alpha,beta,gamma&status=timed_out')).runs).toEqual([]);
  });

  it('filters by since (runs created at or after the instant)', async () => {
    const recent = await list(`?job=alpha,beta,gamma&since=${encodeURIComponent(midway)}&limit=1000`);
    // Rounds 2 and 3, and the runs that arrived while paging.
    expect(ids(recent)).toEqual(newestFirst(triggered.slice(6)));
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect((await list(`?since=${encodeURIComponent(future)}`)).runs).toEqual([]);
    // An offset written with an unencoded "+" (a space once decoded) is read as meant.
    const local = midway.replace('Z', '+00:00');
    expect(ids(await list(`?job=alpha,beta,gamma&since=${local}&limit=1000`))).toEqual(ids(recent));
  });

  it('includes runs in progress with their live record', async () => {
    await register('sleeper', 'sleep 30');
    const { body: trig } = await server.call('/jobs/sleeper/trigger', { method: 'POST' });
    const live = await waitFor(async () => {
      const { body } = await server.call(`/runs/${trig.run_id}`);
      return body.pid ? body : null;
    }, 10_000, 'the sleeper to start');
    const body = await list('?status=running');
    expect(body.runs).toHaveLength(1);
    expect(body.runs[0]).toMatchObject({ run_id: trig.run_id, status: 'running', pid: live.pid, started_at: live.started_at });
    expect((await list('?limit=1')).runs[0]).toMatchObject({ run_id: trig.run_id, status: 'running' });
    await server.call('/jobs/sleeper/stop', { method: 'POST' });
    expect((await waitForRun(server, trig.run_id)).status).toBe('cancelled');
    expect((await list('?status=running')).runs).toEqual([]);
    expect((await list('?status=cancelled')).runs[0]).toMatchObject({ run_id: trig.run_id, status: 'cancelled' });
  });
});

describe('GET /runs refuses what it cannot read', () => {
  const refused = async (query: string, pattern: RegExp, hint?: RegExp): Promise<void> => {
    const body = await expectApiError(await server.call(`/runs?${query}`), 400, 'INVALID_REQUEST');
    expect(body.error).toMatch(pattern);
    if (hint) expect(body.hint).toMatch(hint);
  };

  it('an unknown status, with the list of statuses', async () => {
    await refused('status=bogus', /^query parameter status: "bogus" is not a run status$/, /queued, running, completed, failed, timed_out, cancelled, interrupted, skipped, missed/);
    await refused('status=completed,runing', /"runing" is not a run status \(did you mean "running"\?\)/);
  });

  it('a limit out of range or not a number', async () => {
    for (const limit of ['0', '1001', 'ten', '2.5']) await refused(`limit=${limit}`, /^query parameter limit must be a whole number from 1 to 1000$/);
  });

  it('since that is not an ISO 8601 instant, or given twice', async () => {
    await refused('since=yesterday', /^query parameter since: "yesterday" is not an ISO 8601 instant$/, /2026-11-26T20:15:00Z/);
    await refused('since=1700000000', /is not an ISO 8601 instant/);
    await refused('since=2026-13-45T99:00:00Z', /is not an ISO 8601 instant/);
    await refused(`since=${encodeURIComponent(midway)}&since=${encodeURIComponent(midway)}`, /^query parameter since is given 2 times; give it once$/);
  });

  it('a job or before that is not an id', async () => {
    await refused('job=alpha,no%20such', /^query parameter job: "no such" is not a valid job id$/, /letters, digits/);
    await refused('before=..', /^query parameter before: "\.\." is not a run id$/);
  });

  it('an unknown parameter, with did-you-mean', async () => {
    await refused('stauts=failed', /^query parameter stauts is not known \(did you mean "status"\?\)$/, /job, status, since, limit, before/);
  });

  it('a job that does not exist is a 404 with did-you-mean', async () => {
    const body = await expectApiError(await server.call('/runs?job=alpah'), 404, 'JOB_NOT_FOUND');
    expect(body.error).toBe('job alpah not found (did you mean "alpha"?)');
  });
});
