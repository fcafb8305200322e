/**
 * Run logs and counts across a job's life: pruning under concurrency, output after the runs were
 * cleared, and the run count of a job registered again.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, waitFor, waitForRun, type TestServer } from '../_server.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ watch: false });
});

afterAll(async () => {
  await server?.dispose();
});

async function register(job_id: string, config: Record<string, unknown>): Promise<void> {
  const answer = await server.call('/jobs', { method: 'POST', json: { job_id, config, replace_existing: true } });
  expect([200, 201]).toContain(answer.status);
}

describe('run logs', () => {
  it('prunes the logs of concurrent runs down to about the history size', async () => {
    // 45 runs at once: before, logs were pruned only when execution_count was an exact multiple of
    // history at a run's end, which concurrent runs never hit.
    await register('burst', { os: { cmd: 'echo out; sleep 1' }, policy: { overlap: 'allow', max_instances: 100, history: 20 } });
    const triggers = await Promise.all(Array.from({ length: 45 }, () => server.call('/jobs/burst/trigger', { method: 'POST' })));
    expect(triggers.map((t) => t.status)).toEqual(Array(45).fill(200));
    // Records beyond the history are dropped, so wait for the job rather than for each run.
    await waitFor(async () => (await server.call('/jobs/burst')).body.running === false, 20_000, 'every run of the burst to end');
    const dir = join(server.home, 'server', 'logs', 'burst');
    const logs = await waitFor(async () => {
      const names = await readdir(dir);
      return names.length <= 40 ? names : null;
    }, 10_000, 'logs pruned to at most twice the history');
    expect(logs.length).toBeGreaterThanOrEqual(20);
  });

  it('keeps writing output after the job’s runs and logs were cleared', async () => {
    await register('cleared', { os: { cmd: 'echo first' } });
    await waitForRun(server, (await server.call('/jobs/cleared/trigger', { method: 'POST' })).body.run_id);
    expect((await server.call('/jobs/cleared/remove', { method: 'POST' })).status).toBe(200);
    await register('cleared', { os: { cmd: 'echo second' } });
    const run = await waitForRun(server, (await server.call('/jobs/cleared/trigger', { method: 'POST' })).body.run_id);
    expect(run.status).toBe('completed');
    expect(run.error).toBeNull();
    const log = await server.api(`/runs/${run.run_id}/log`);
    expect(await log.text()).toContain('second');
  });

  it('counts the earlier runs of a job that was unregistered and registered again', async () => {
    await register('again', { os: { cmd: 'true' } });
    for (let i = 0; i < 2; i++) await waitForRun(server, (await server.call('/jobs/again/trigger', { method: 'POST' })).body.run_id);
    expect((await server.call('/registry/again', { method: 'DELETE' })).status).toBe(200);
    await register('again', { os: { cmd: 'true' } });
    const status = await server.call('/jobs/again');
    const runs = await server.call('/jobs/again/runs');
    expect(runs.body.count).toBe(2);
    expect(status.body.execution_count).toBe(2);
  });
});
