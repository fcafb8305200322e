import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectApiError, startTestServer, waitFor, waitForRun, type TestServer } from '../_server.js';

const README_JOB = {
  job_id: 'my_job_1',
  config: { lifetime: { lifetime: 3600 }, os: { cmd: 'echo test' } },
  schedule: { trigger: 'cron', hour: 10, minute: 30 },
  replace_existing: false,
};

describe('jobs API', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.dispose();
  });

  it('registers the README example as a scheduled job with a next run', async () => {
    const { status, body } = await server.call('/jobs', { method: 'POST', json: README_JOB });
    expect(status).toBe(201);
    expect(body).toMatchObject({ job_id: 'my_job_1', status: 'scheduled', on_demand: false, overlaps: [] });
    const next = new Date(body.next_run);
    expect(next.getHours()).toBe(10);
    expect(next.getMinutes()).toBe(30);
    expect(next.getTime()).toBeGreaterThan(Date.now());
  });

  it('refuses a duplicate id with 409 unless replace_existing is true', async () => {
    const again = await server.call('/jobs', { method: 'POST', json: README_JOB });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'JOB_EXISTS' });
    expect(typeof again.body.error).toBe('string');
    expect(again.body.hint).toMatch(/replace_existing/);
    const replaced = await server.call('/jobs', {
      method: 'POST',
      json: { ...README_JOB, schedule: { trigger: 'interval', minutes: 5 }, replace_existing: true },
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body.replaced).toBe(true);
    const entry = await server.call('/registry/my_job_1');
    expect(entry.body.schedule).toEqual({ trigger: 'interval', minutes: 5 });
  });

  it('accepts schedule inside config, and registers on-demand jobs', async () => {
    const inside = await server.call('/jobs', {
      method: 'POST',
      json: { job_id: 'inside', config: { os: { cmd: 'true' }, schedule: { trigger: 'interval', seconds: 3600 } } },
    });
    expect(inside.status).toBe(201);
    expect(inside.body.status).toBe('scheduled');
    const onDemand = await server.call('/jobs', {
      method: 'POST',
      json: { job_id: 'manual', config: { lifetime: { lifetime: 30 }, os: { cmd: 'echo Manual task executed' } } },
    });
    expect(onDemand.status).toBe(201);
    expect(onDemand.body).toMatchObject({ status: 'registered', on_demand: true, next_run: null });
  });

  it('rejects invalid definitions with 400 naming the key', async () => {
    const bad = await server.call('/jobs', {
      method: 'POST',
      json: { job_id: 'bad', config: { os: { cmd: 'true' } }, schedule: { trigger: 'cron', minuet: 30 } },
    });
    await expectApiError(bad, 400, 'INVALID_JOB');
    expect(bad.body.error).toMatch(/minuet/);
    const badId = await server.call('/jobs', { method: 'POST', json: { job_id: '../etc', config: { os: { cmd: 'true' } } } });
    expect(badId.status).toBe(400);
    expect((await server.call('/jobs/bad')).status).toBe(404);
  });

  it('triggers a run, records it, and serves its log', async () => {
    const trig = await server.call('/jobs/manual/trigger', { method: 'POST' });
    expect(trig.status).toBe(200);
    expect(trig.body).toMatchObject({ job_id: 'manual', status: 'triggered' });
    expect(trig.body.execution_id).toBe(trig.body.run_id);
    const run = await waitForRun(server, trig.body.run_id);
    expect(run).toMatchObject({ job_id: 'manual', trigger: 'manual', status: 'completed', exit_code: 0, signal: null });
    expect(run.pid).toBeGreaterThan(0);
    expect(run.duration_ms).toBeGreaterThanOrEqual(0);
    expect(run.started_at).toMatch(/[+-]\d\d:\d\d$/);
    const log = await server.api(`/runs/${trig.body.run_id}/log`);
    expect(log.headers.get('content-type')).toMatch(/text\/plain/);
    expect(await log.text()).toBe('Manual task executed\n');
    const status = await server.call('/jobs/manual');
    expect(status.body).toMatchObject({ job_id: 'manual', status: 'completed', running: false, scheduled: false });
    expect(status.body.last_run.run_id).toBe(trig.body.run_id);
    expect(status.body.last_run.output_tail).toBe('Manual task executed\n');
    const listed = (await server.call('/jobs')).body.jobs.find((j: any) => j.job_id === 'manual');
    expect(listed.last_run.run_id).toBe(trig.body.run_id);
    expect(listed.last_run).not.toHaveProperty('output_tail');
    for (const key of ['next_run_time', 'start_time', 'end_time', 'error']) expect(status.body).toHaveProperty(key);
    const runs = await server.call('/jobs/manual/runs?limit=5');
    expect(runs.body.count).toBe(1);
    expect(runs.body.runs[0].run_id).toBe(trig.body.run_id);
    const registry = await server.call('/registry/manual');
    expect(registry.body.execution_count).toBe(1);
    expect(registry.body.last_triggered).not.toBeNull();
  });

  it('lists jobs, active jobs, and refuses a busy trigger under skip with 409', async () => {
    await server.call('/jobs', { method: 'POST', json: { job_id: 'sleepy', config: { os: { cmd: 'sleep 30' } } } });
    const trig = await server.call('/jobs/sleepy/trigger', { method: 'POST' });
    expect(trig.status).toBe(200);
    await waitFor(async () => (await server.call(`/runs/${trig.body.run_id}`)).body.pid, 5000, 'pid');
    const active = await server.call('/jobs/active');
    expect(active.body.jobs.map((j: any) => j.job_id)).toEqual(['sleepy']);
    expect(active.body.count).toBe(1);
    const busy = await server.call('/jobs/sleepy/trigger', { method: 'POST' });
    await expectApiError(busy, 409, 'JOB_BUSY');
    const removeWhileRunning = await server.call('/jobs/sleepy/remove', { method: 'POST' });
    expect(removeWhileRunning.status).toBe(409);
    const all = await server.call('/jobs');
    expect(all.body.count).toBe(all.body.jobs.length);
    expect(all.body.jobs.map((j: any) => j.job_id).sort()).toEqual(['inside', 'manual', 'my_job_1', 'sleepy']);
    const stop = await server.call('/jobs/sleepy/stop', { method: 'POST' });
    expect(stop.status).toBe(200);
    expect(stop.body.stopped).toEqual([trig.body.run_id]);
    const run = await waitForRun(server, trig.body.run_id);
    expect(run.status).toBe('cancelled');
    const removed = await server.call('/jobs/sleepy/remove', { method: 'POST' });
    expect(removed.status).toBe(200);
    expect((await server.call('/jobs/sleepy/runs')).body.count).toBe(0);
    expect((await server.call('/jobs/sleepy')).body.status).toBe('pending');
  });

  it('cancels a schedule (paused) and resumes it', async () => {
    const cancelled = await server.call('/jobs/inside', { method: 'DELETE' });
    expect(cancelled.status).toBe(200);
    let status = await server.call('/jobs/inside');
    expect(status.body).toMatchObject({ scheduled: false, paused: true, next_run_time: null });
    expect((await server.call('/registry/inside')).body.paused).toBe(true);
    const resumed = await server.call('/jobs/inside/resume', { method: 'POST' });
    expect(resumed.status).toBe(200);
    status = await server.call('/jobs/inside');
    expect(status.body.scheduled).toBe(true);
    expect(status.body.next_run_time).not.toBeNull();
  });

  it('gives the next fire times after a given instant', async () => {
    await server.call('/jobs', {
      method: 'POST',
      json: { job_id: 'every5', config: { os: { cmd: 'true' } }, schedule: { trigger: 'cron', cron: '*/5 * * * *' } },
    });
    const from = '2030-01-01T00:02:00Z';
    const { status, body } = await server.call(`/jobs/every5/next?n=3&from=${encodeURIComponent(from)}`);
    expect(status).toBe(200);
    expect(body.next.map((t: string) => new Date(t).getTime())).toEqual(
      [5, 10, 15].map((m) => Date.parse(`2030-01-01T00:${String(m).padStart(2, '0')}:00Z`)),
    );
    expect((await server.call('/jobs/every5/next?n=0')).status).toBe(400);
    expect((await server.call('/jobs/every5/next?from=yesterday')).status).toBe(400);
    expect((await server.call('/jobs/manual/next')).body.next).toEqual([]);
  });

  it('validates a config without registering it', async () => {
    const good = await server.call('/validate', {
      method: 'POST',
      json: { config: { os: { cmd: 'true' } }, schedule: { trigger: 'interval', minutes: 10 } },
    });
    expect(good.status).toBe(200);
    expect(good.body.valid).toBe(true);
    expect(good.body.next).toHaveLength(5);
    const bad = await server.call('/validate', {
      method: 'POST',
      json: { config: { lifetime: { lifetime: 0 }, os: { cmd: '' } } },
    });
    expect(bad.body.valid).toBe(false);
    expect(bad.body.errors.map((e: any) => e.path)).toEqual(expect.arrayContaining(['lifetime.lifetime', 'os.cmd']));
    expect((await server.call('/registry/validate')).status).toBe(404);
  });

  it('filters the registry and unregisters', async () => {
    const all = await server.call('/registry');
    expect(all.body.filter).toBe('all');
    expect(all.body.count).toBe(all.body.jobs.length);
    const scheduled = await server.call('/registry?type=scheduled');
    expect(scheduled.body.jobs.every((e: any) => e.schedule !== null)).toBe(true);
    const onDemand = await server.call('/registry?type=on_demand');
    expect(onDemand.body.jobs.map((e: any) => e.job_id)).toEqual(expect.arrayContaining(['manual', 'sleepy']));
    expect(onDemand.body.jobs.every((e: any) => e.schedule === null)).toBe(true);
    const wrong = await server.call('/registry?type=weekly');
    expect(wrong.status).toBe(400);
    expect(wrong.body.hint).toMatch(/on_demand/);
    const entry = await server.call('/registry/every5');
    for (const key of ['job_id', 'config', 'schedule', 'source', 'registered_at', 'last_triggered', 'execution_count']) {
      expect(entry.body).toHaveProperty(key);
    }
    expect(entry.body.source).toBe('api');
    expect((await server.call('/registry/every5', { method: 'DELETE' })).status).toBe(200);
    expect((await server.call('/registry/every5')).status).toBe(404);
    expect((await server.call('/jobs/every5')).status).toBe(404);
    expect((await server.call('/registry/every5', { method: 'DELETE' })).status).toBe(404);
  });

  it('answers 404 with the error shape for unknown ids, runs and paths', async () => {
    for (const path of ['/jobs/nope', '/runs/nope', '/runs/nope/log', '/registry/nope', '/nowhere']) {
      const { status, body } = await server.call(path);
      expect(status, path).toBe(404);
      expect(typeof body.error).toBe('string');
      expect(body.code).toMatch(/NOT_FOUND/);
    }
  });

  it('warns about jobs whose fires coincide to the second, without refusing', async () => {
    await server.call('/jobs', {
      method: 'POST',
      json: { job_id: 'hourly', config: { os: { cmd: 'true' } }, schedule: { trigger: 'cron', minute: 0 } },
    });
    const quarter = await server.call('/jobs', {
      method: 'POST',
      json: { job_id: 'quarter', config: { os: { cmd: 'true' } }, schedule: { trigger: 'cron', minute: '*/15' } },
    });
    expect(quarter.status).toBe(201);
    expect(quarter.body.overlaps).toContain('hourly');
    const offset = await server.call('/jobs', {
      method: 'POST',
      json: { job_id: 'offset', config: { os: { cmd: 'true' } }, schedule: { trigger: 'cron', minute: 7 } },
    });
    expect(offset.body.overlaps).toEqual([]);
    for (const id of ['hourly', 'quarter', 'offset']) await server.call(`/registry/${id}`, { method: 'DELETE' });
  });

  it('streams a log live with follow=true until the run ends', async () => {
    await server.call('/jobs', {
      method: 'POST',
      json: { job_id: 'talker', config: { os: { cmd: 'echo one; sleep 0.5; echo two; sleep 0.5; echo three' } } },
    });
    const { body } = await server.call('/jobs/talker/trigger', { method: 'POST' });
    const response = await server.api(`/runs/${body.run_id}/log?follow=true`);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    const arrivals: Array<[string, number]> = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      arrivals.push([decoder.decode(value), Date.now()]);
    }
    expect(arrivals.map(([text]) => text).join('')).toBe('one\ntwo\nthree\n');
    // Live: the first line arrived well before the run ended.
    const record = (await server.call(`/runs/${body.run_id}`)).body;
    expect(record.status).toBe('completed');
    expect(Date.parse(record.ended_at) - arrivals[0]![1]).toBeGreaterThan(500);
  });

  it('the job listing follows every change of a job (it is served from a cache)', async () => {
    await server.call('/jobs', {
      method: 'POST',
      json: { job_id: 'listed', config: { os: { cmd: 'sleep 0.3' } }, schedule: { trigger: 'interval', hours: 1 } },
    });
    const listed = async (): Promise<any> => (await server.call('/jobs')).body.jobs.find((j: any) => j.job_id === 'listed');
    expect(await listed()).toMatchObject({ status: 'pending', execution_count: 0, scheduled: true });
    const { body } = await server.call('/jobs/listed/trigger', { method: 'POST' });
    expect(await listed()).toMatchObject({ status: 'running', running: true, execution_count: 1 });
    await waitForRun(server, body.run_id);
    expect(await listed()).toMatchObject({ status: 'completed', running: false });
    expect((await listed()).last_run.run_id).toBe(body.run_id);
    await server.call('/jobs/listed', { method: 'DELETE' });
    expect(await listed()).toMatchObject({ paused: true, scheduled: false, next_run_time: null });
    await server.call('/jobs/listed/resume', { method: 'POST' });
    expect((await listed()).next_run_time).not.toBeNull();
    await server.call('/jobs/listed/remove', { method: 'POST' });
    expect(await listed()).toMatchObject({ status: 'pending', last_run: null });
    await server.call('/registry/listed', { method: 'DELETE' });
    expect(await listed()).toBeUndefined();
  });

  it('reports health', async () => {
    const { status, body } = await server.call('/health');
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: 'healthy', service: 'mxx-scheduler', running: 0, load_errors: 0 });
    expect(body.jobs).toBe((await server.call('/registry')).body.count);
    expect(typeof body.version).toBe('string');
    expect(body.uptime_s).toBeGreaterThanOrEqual(0);
  });
});
