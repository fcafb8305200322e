/** POST /api/scheduler/shutdown: 202 first, then the same clean shutdown as SIGTERM. */
import { afterEach, describe, expect, it } from 'vitest';
import { createMxxApp } from '../../src/api/app.js';
import { silentLogger } from '../../src/logger.js';
import { expectApiError, startTestServer, waitFor, type TestServer } from '../_server.js';

let server: TestServer | null = null;

afterEach(async () => {
  await server?.dispose();
  server = null;
});

const answers = async (url: string): Promise<boolean> =>
  fetch(`${url}/api/scheduler/health`).then(
    () => true,
    () => false,
  );

describe('POST /shutdown', () => {
  it('answers 202 with the runs it will stop, then the server closes itself (no process to exit when embedded)', async () => {
    server = await startTestServer();
    await server.call('/jobs', { method: 'POST', json: { job_id: 'long', config: { os: { cmd: 'sleep 60' }, lifetime: { grace: 1 } } } });
    const { body: run } = await server.call('/jobs/long/trigger', { method: 'POST' });
    await waitFor(async () => (await server!.call(`/runs/${run.run_id}`)).body.pid, 5000, 'the run to start');

    const answer = await server.call('/shutdown', { method: 'POST' });
    expect(answer).toEqual({ status: 202, body: { message: 'server stopping', running: 1 } });
    await waitFor(async () => !(await answers(server!.url)), 10_000, 'the server to stop answering');
    expect(server.supervisor.run(run.run_id).status).toBe('interrupted');
    expect(server.logs()).toMatch(/shutdown requested through the API/);
    expect(server.logs()).toMatch(/server stopped/);
  });

  it('refuses a client that is not on loopback when no token is configured', async () => {
    server = await startTestServer();
    let asked = 0;
    const { app } = createMxxApp(server.supervisor, {
      logger: silentLogger,
      loopbackOnly: true,
      ownPort: () => 80,
      requestStop: () => void asked++,
    });
    // app.request has no socket: the peer is unknown, which is not loopback.
    const refused = await app.request('http://127.0.0.1/api/scheduler/shutdown', { method: 'POST', headers: { host: '127.0.0.1' } });
    const body = await expectApiError(refused, 403, 'FORBIDDEN_ORIGIN');
    expect(body.error).toMatch(/only from this machine/);
    expect(asked).toBe(0);

    const withToken = createMxxApp(server.supervisor, {
      logger: silentLogger,
      loopbackOnly: false,
      ownPort: () => 80,
      token: 'a-long-enough-test-token',
      requestStop: () => void asked++,
    });
    const ok = await withToken.app.request('http://192.0.2.1/api/scheduler/shutdown', {
      method: 'POST',
      headers: { host: '192.0.2.1', authorization: 'Bearer a-long-enough-test-token' },
    });
    expect(ok.status).toBe(202);
    await waitFor(() => asked === 1, 2000, 'the stop to be requested');
    expect(asked).toBe(1);
  });
});
