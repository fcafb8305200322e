/**
 * Processes that leave their run's process group (setsid, a double fork, a Python daemon) are
 * ended with the run: through the real server, pool and spawner, checked with the OS (/proc).
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { carriersOf, runCarriers } from '../_proc.js';
import { startTestServer, waitFor, waitForRun, type TestServer } from '../_server.js';

const scripts = fileURLToPath(new URL('../../fixtures/scripts/', import.meta.url));
const linux = process.platform === 'linux';
/** All three ways of leaving the group, then a line saying they are done. */
const daemonize = `sh ${scripts}daemonize-setsid.sh; sh ${scripts}double-fork.sh; python3 ${scripts}daemonize.py; echo all-left`;
const runIds: string[] = [];
let server: TestServer;


beforeAll(async () => {
  if (linux) server = await startTestServer();
});

afterAll(async () => {
  const left = carriersOf(new Set(runIds)).map(({ pid }) => pid);
  for (const pid of left) process.kill(pid, 'SIGKILL');
  await server?.dispose();
  expect(left).toEqual([]);
});

async function trigger(jobId: string, config: Record<string, unknown>): Promise<string> {
  expect((await server.call('/jobs', { method: 'POST', json: { job_id: jobId, config, replace_existing: true } })).status).toBeLessThan(300);
  const { status, body } = await server.call(`/jobs/${jobId}/trigger`, { method: 'POST' });
  expect(status).toBeLessThan(300);
  runIds.push(body.run_id);
  return body.run_id as string;
}

describe.skipIf(!linux)(`daemons started by a run end with it${linux ? '' : ' — skipped: the sweep reads Linux /proc/PID/environ'}`, () => {
  it('lifetime: the run is timed_out and no process carrying its MXX_RUN_ID is alive', async () => {
    const runId = await trigger('daemons-lifetime', { lifetime: { lifetime: 3, grace: 1 }, os: { cmd: `${daemonize}; sleep 100` } });
    const record = await waitForRun(server, runId);
    expect(record.status).toBe('timed_out');
    expect(record.output_tail).toContain('all-left'); // every daemon was started before the deadline
    expect(runCarriers(runId)).toEqual([]);
  });

  it('stop: the run is cancelled and its daemons are gone', async () => {
    const runId = await trigger('daemons-stop', { os: { cmd: `${daemonize}; sleep 100` } });
    await waitFor(async () => (await server.api(`/runs/${runId}/log`)).text().then((text) => text.includes('all-left')), 15_000, 'the daemons to be started');
    expect(runCarriers(runId).length).toBeGreaterThanOrEqual(3);
    expect((await server.call(`/jobs/daemons-stop/stop`, { method: 'POST' })).status).toBe(200);
    const record = await waitForRun(server, runId);
    expect(record.status).toBe('cancelled');
    expect(runCarriers(runId)).toEqual([]);
  });

  it('a run that exits 0 and leaves daemons behind is completed, and they are gone when it is recorded ended', async () => {
    const runId = await trigger('daemons-exit', { os: { cmd: daemonize } });
    const record = await waitForRun(server, runId);
    expect(record).toMatchObject({ status: 'completed', exit_code: 0 });
    expect(runCarriers(runId)).toEqual([]);
  });

  // Seen in the soak (stop 26's CI): one `setsid sleep 100` of 1310 runs outlived its completed
  // run. The sweep had read that process's environment while it was between two programs (an exec
  // in progress reads as empty) and, finding nothing else, ended. Many short runs ending together
  // catch that moment: before the fix, 1-2 of 500 such runs here left their daemon behind.
  it('daemons of 600 runs ending in bursts of 30 are all gone when the runs are recorded ended', async () => {
    const jobs = Array.from({ length: 30 }, (_, i) => `daemons-burst-${i}`);
    for (const jobId of jobs) {
      const config = { lifetime: { lifetime: 30, grace: 1 }, os: { cmd: ': ; setsid sleep 100 >/dev/null 2>&1 </dev/null &' } };
      expect((await server.call('/jobs', { method: 'POST', json: { job_id: jobId, config, replace_existing: true } })).status).toBeLessThan(300);
    }
    const burstIds: string[] = [];
    for (let burst = 0; burst < 20; burst++) {
      const ids = await Promise.all(jobs.map(async (jobId) => (await server.call(`/jobs/${jobId}/trigger`, { method: 'POST' })).body.run_id as string));
      runIds.push(...ids);
      burstIds.push(...ids);
      const records = await Promise.all(ids.map((id) => waitForRun(server, id)));
      expect(records.map((record) => record.status)).toEqual(ids.map(() => 'completed'));
    }
    expect(carriersOf(new Set(burstIds))).toEqual([]);
  }, 120_000);
});
