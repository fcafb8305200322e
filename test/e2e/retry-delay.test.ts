/**
 * A retry delay longer than setTimeout's limit (~24.8 days) waits, rather than firing at once
 * (Node runs an overflowing setTimeout after 1 ms).
 */
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestServer, waitForRun, type TestServer } from '../_server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ watch: false });
});
afterAll(async () => {
  await server?.dispose();
});

it('a 30-day retry delay does not retry at once', async () => {
  const config = { os: { cmd: 'exit 1' }, policy: { retries: 1, retry_delay: 30 * 24 * 3600 } };
  expect((await server.call('/jobs', { method: 'POST', json: { job_id: 'slowretry', config } })).status).toBe(201);
  const run = await waitForRun(server, (await server.call('/jobs/slowretry/trigger', { method: 'POST' })).body.run_id);
  expect(run.status).toBe('failed');
  await delay(1500);
  const runs = (await server.call('/jobs/slowretry/runs')).body.runs;
  expect(runs.map((r: any) => r.trigger)).toEqual(['manual']);
});
