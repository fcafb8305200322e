/** Timers firing for real: interval, cron with seconds, date, end_date, jitter — through the API. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, waitFor, type TestServer } from '../_server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.dispose();
});

async function register(job_id: string, schedule: Record<string, unknown>, cmd = 'true'): Promise<any> {
  const { status, body } = await server.call('/jobs', { method: 'POST', json: { job_id, config: { os: { cmd } }, schedule } });
  expect(status).toBe(201);
  return body;
}

async function scheduleRuns(id: string, n: number, timeoutMs = 10_000): Promise<any[]> {
  return waitFor(async () => {
    const runs = (await server.call(`/jobs/${id}/runs?limit=100`)).body.runs.filter(
      (r: any) => r.trigger === 'schedule' && r.status === 'completed',
    );
    return runs.length >= n ? runs.reverse() : null;
  }, timeoutMs, `${n} scheduled runs of ${id}`);
}

const ms = (iso: string): number => Date.parse(iso);

describe('scheduled fires', () => {
  it('an interval fires one interval after registration, then every interval, on its grid', async () => {
    const before = Date.now();
    await register('tick', { trigger: 'interval', seconds: 0.4 });
    const registeredAt = ms((await server.call('/registry/tick')).body.registered_at);
    expect(registeredAt).toBeGreaterThanOrEqual(before - 1);
    const runs = (await scheduleRuns('tick', 3)).slice(0, 3);
    runs.forEach((run: any, k: number) => {
      expect(ms(run.scheduled_at)).toBe(registeredAt + (k + 1) * 400);
      // The process starts at (not before) its instant.
      expect(ms(run.started_at)).toBeGreaterThanOrEqual(ms(run.scheduled_at));
    });
    await server.call('/jobs/tick', { method: 'DELETE' });
  });

  it('a cron expression with seconds fires on whole seconds, with MXX_SCHEDULED_AT set', async () => {
    await register('everysec', { trigger: 'cron', cron: '* * * * * *' }, 'echo "$MXX_SCHEDULED_AT"');
    const runs = (await scheduleRuns('everysec', 2)).slice(0, 2);
    for (const run of runs) {
      expect(ms(run.scheduled_at) % 1000).toBe(0);
      expect(ms(run.output_tail.trim())).toBe(ms(run.scheduled_at));
    }
    expect(ms(runs[1].scheduled_at) - ms(runs[0].scheduled_at)).toBe(1000);
    await server.call('/jobs/everysec', { method: 'DELETE' });
  });

  it('a date trigger runs once and is then no longer scheduled', async () => {
    const at = new Date(Date.now() + 400).toISOString();
    const body = await register('once', { trigger: 'date', run_date: at });
    expect(ms(body.next_run)).toBe(ms(at));
    const [run] = await scheduleRuns('once', 1);
    expect(ms(run.scheduled_at)).toBe(ms(at));
    const status = (await server.call('/jobs/once')).body;
    expect(status).toMatchObject({ status: 'completed', scheduled: false, next_run_time: null });
  });

  it('end_date stops an interval', async () => {
    const end = new Date(Date.now() + 900).toISOString();
    await register('bounded', { trigger: 'interval', seconds: 0.3, end_date: end });
    await waitFor(async () => (await server.call('/jobs/bounded')).body.next_run_time === null, 5000, 'end of schedule');
    await new Promise((r) => setTimeout(r, 400));
    const runs = (await server.call('/jobs/bounded/runs')).body.runs;
    expect(runs.length).toBeGreaterThanOrEqual(2);
    expect(runs.length).toBeLessThanOrEqual(3);
    for (const run of runs) expect(ms(run.scheduled_at)).toBeLessThanOrEqual(ms(end));
  });

  it('jitter delays each start by up to its value, never before the instant', async () => {
    await register('jittery', { trigger: 'interval', seconds: 0.5, jitter: 0.2 });
    const runs = (await scheduleRuns('jittery', 4)).slice(0, 4);
    const delays = runs.map((run: any) => ms(run.started_at) - ms(run.scheduled_at));
    for (const delay of delays) {
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(200 + 500);
    }
    // Random, not a constant offset.
    expect(new Set(delays.map((d: number) => Math.round(d / 10))).size).toBeGreaterThan(1);
    await server.call('/jobs/jittery', { method: 'DELETE' });
  });
});
