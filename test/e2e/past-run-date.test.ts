/** A date job registered a little after its run_date (within misfire_grace_time) runs once, as APScheduler does. */
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestServer, waitFor, type TestServer } from '../_server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ watch: false });
});
afterAll(async () => {
  await server?.dispose();
});

it('runs a run_date 5 s in the past once at registration', async () => {
  const runDate = new Date(Date.now() - 5_000).toISOString();
  const config = { os: { cmd: 'echo late' }, schedule: { trigger: 'date', run_date: runDate }, policy: { misfire_grace_time: 60 } };
  expect((await server.call('/jobs', { method: 'POST', json: { job_id: 'late', config } })).status).toBe(201);
  const run = await waitFor(async () => (await server.call('/jobs/late/runs')).body.runs.find((r: any) => r.status === 'completed'), 10_000, 'the late date run');
  expect(run.trigger).toBe('schedule');
  expect(Date.parse(run.scheduled_at)).toBe(Date.parse(runDate));
  await delay(500);
  expect((await server.call('/jobs/late/runs')).body.count).toBe(1);
});
