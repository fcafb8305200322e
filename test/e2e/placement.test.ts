/**
 * [placement] on one server (SPEC §15): a job whose labels this server lacks never runs here —
 * each fire is recorded missed with the reason, a trigger is refused naming the labels — and a
 * server started with the labels runs it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, waitFor, type TestServer } from '../_server.js';

let server: TestServer | null = null;
afterEach(async () => {
  await server?.dispose();
  server = null;
});

const gpuJob = (schedule?: Record<string, unknown>) => ({
  job_id: 'render',
  config: { os: { cmd: 'echo rendered' }, placement: { labels: ['gpu'] } },
  ...(schedule ? { schedule } : {}),
});

describe('[placement] labels', () => {
  it('a server without the label records each fire missed with the reason and refuses a trigger', async () => {
    server = await startTestServer();
    expect((await server.call('/jobs', { method: 'POST', json: gpuJob({ trigger: 'interval', seconds: 1 }) })).status).toBe(201);
    const runs = await waitFor(async () => {
      const body = (await server!.call('/jobs/render/runs')).body;
      return body.runs?.length >= 2 ? body.runs : null;
    }, 6000, 'two fires');
    for (const run of runs) {
      expect(run.status).toBe('missed');
      expect(run.error).toContain('needs the label gpu; this server has none (start it with --label)');
    }
    const refused = await server.call('/jobs/render/trigger', { method: 'POST' });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('PLACEMENT_MISMATCH');
    expect(refused.body.error).toContain('needs the label gpu');
    expect((await server.call('/health')).body.labels).toEqual([]);
  });

  it('a server started with the label runs it', async () => {
    server = await startTestServer({ labels: ['gpu', 'ssd'] });
    await server.call('/jobs', { method: 'POST', json: gpuJob() });
    const { status, body } = await server.call('/jobs/render/trigger', { method: 'POST' });
    expect(status).toBe(200);
    const run = await waitFor(async () => {
      const r = (await server!.call(`/runs/${body.run_id}`)).body;
      return r.status === 'completed' ? r : null;
    }, 10_000, 'the run to complete');
    expect(run.exit_code).toBe(0);
    expect((await server.call('/health')).body.labels).toEqual(['gpu', 'ssd']);
  });
});
