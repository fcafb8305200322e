/**
 * What the API gives the dashboard on top of SPEC §4 (additive: the answers without the new
 * parameters are as before): `?recent=N` and `?job=` on GET /jobs, `group` on every job status,
 * `?recent=N` on GET /jobs/{id}, GET /timeline, and `queued` in /health.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectApiError, startTestServer, waitForRun, type TestServer } from '../_server.js';

const job = (id: string, extra: Record<string, unknown> = {}) => ({ job_id: id, config: { os: { cmd: 'true' }, ...extra }, replace_existing: true });

describe('dashboard data', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      files: { 'filed.toml': '[os]\ncmd = "true"\n[schedule]\ntrigger = "interval"\nhours = 1\n[policy]\ngroup = "nightly"\n' },
    });
    await server.call('/jobs', { method: 'POST', json: job('quick') });
    await server.call('/jobs', { method: 'POST', json: job('failing', { os: { cmd: 'exit 3' } }) });
    await server.call('/jobs', { method: 'POST', json: { ...job('every-minute'), schedule: { trigger: 'cron', cron: '* * * * *' } } });
    await server.call('/jobs', { method: 'POST', json: { ...job('every-second'), schedule: { trigger: 'interval', seconds: 1 } } });
    await server.call('/jobs/every-second', { method: 'DELETE' }); // paused: it fires no more
    for (const id of ['quick', 'failing', 'quick']) await waitForRun(server, (await server.call(`/jobs/${id}/trigger`, { method: 'POST' })).body.run_id);
  });
  afterAll(async () => {
    await server.dispose();
  });

  it('GET /jobs is unchanged without parameters, but for the new group field', async () => {
    const { body } = await server.call('/jobs');
    expect(body.count).toBe(5);
    for (const j of body.jobs) expect(j).not.toHaveProperty('recent_runs');
    expect(body.jobs.find((j: any) => j.job_id === 'filed').group).toBe('nightly');
    expect(body.jobs.find((j: any) => j.job_id === 'quick').group).toBeNull();
  });

  it('?recent=N adds each job\'s newest N runs, newest first; ?job= lists only those jobs', async () => {
    const { body } = await server.call('/jobs?recent=2&job=quick,failing&job=nope');
    expect(body.jobs.map((j: any) => j.job_id)).toEqual(['quick', 'failing']);
    const quick = body.jobs[0];
    expect(quick.recent_runs).toHaveLength(2);
    expect(quick.recent_runs[0]).toEqual({ run_id: quick.last_run.run_id, status: 'completed', started_at: expect.any(String), duration_ms: expect.any(Number) });
    expect(body.jobs[1].recent_runs.map((r: any) => r.status)).toEqual(['failed']);
    // Cached by job version: asking again, and without recent, gives consistent answers.
    expect((await server.call('/jobs?recent=2')).body.jobs.find((j: any) => j.job_id === 'quick').recent_runs).toHaveLength(2);
    expect((await server.call('/jobs')).body.jobs.find((j: any) => j.job_id === 'quick')).not.toHaveProperty('recent_runs');
    expect((await server.call('/jobs/quick?recent=1')).body.recent_runs).toHaveLength(1);
  });

  it('refuses a bad recent or job id, naming the parameter', async () => {
    expect((await expectApiError(await server.call('/jobs?recent=101'), 400, 'INVALID_REQUEST')).error).toMatch(/recent.*0 to 100/);
    expect((await expectApiError(await server.call('/jobs?job=../x'), 400, 'INVALID_REQUEST')).error).toMatch(/query parameter job/);
  });

  it('GET /timeline lists the fires of armed jobs in the window, capped per job', async () => {
    const { body } = await server.call('/timeline?hours=2&limit=50');
    const ids = body.jobs.map((j: any) => j.job_id).sort();
    // Paused and on-demand jobs do not fire.
    expect(ids).toEqual(['every-minute', 'filed']);
    const minute = body.jobs.find((j: any) => j.job_id === 'every-minute');
    expect(minute.fires).toHaveLength(50);
    expect(minute.more).toBe(true);
    const filed = body.jobs.find((j: any) => j.job_id === 'filed');
    expect(filed.fires.length).toBeGreaterThanOrEqual(1);
    expect(filed.more).toBe(false);
    const [from, to] = [Date.parse(body.from), Date.parse(body.to)];
    expect(to - from).toBe(2 * 3600_000);
    for (const t of [...minute.fires, ...filed.fires]) expect(Date.parse(t)).toBeGreaterThan(from);
    // ?job= answers for exactly those jobs, even when they have no fires.
    const some = await server.call('/timeline?job=every-second,quick');
    expect(some.body.jobs).toEqual([
      { job_id: 'every-second', fires: [], more: false },
      { job_id: 'quick', fires: [], more: false },
    ]);
    await expectApiError(await server.call('/timeline?hours=0'), 400, 'INVALID_REQUEST');
  });

  it('/health says how many runs wait for a slot', async () => {
    const { body } = await server.call('/health');
    expect(body).toMatchObject({ running: 0, queued: 0 });
  });
});
