/**
 * Notify commands (SPEC §12), run like runs: real processes, checked with the OS (process groups);
 * and what needs a server of its own: `recovered` across a restart on the same home, and the
 * defaults of a real config.toml.
 */
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groupMembers, killGroups, waitGroupGone } from '../_proc.js';
import { startReceiver } from '../_receiver.js';
import { createHome, startTestServer, waitFor, waitForRun, type TestServer } from '../_server.js';

const FAST = { timeoutMs: 300, backoffMs: 10, closeTimeoutMs: 1_000, cmdGraceMs: 200 };

let server: TestServer;
let scratch: string;
beforeAll(async () => {
  server = await startTestServer({ notifier: FAST });
  scratch = await mkdtemp(join(tmpdir(), 'mxx-notify-cmd-'));
});
afterAll(async () => {
  await server?.dispose();
  await rm(scratch, { recursive: true, force: true });
});

async function register(jobId: string, config: Record<string, unknown>): Promise<void> {
  const { status, body } = await server.call('/jobs', { method: 'POST', json: { job_id: jobId, config, replace_existing: true } });
  expect(status, JSON.stringify(body)).toBeLessThan(300);
}

async function trigger(jobId: string): Promise<string> {
  const { status, body } = await server.call(`/jobs/${jobId}/trigger`, { method: 'POST' });
  expect(status, JSON.stringify(body)).toBeLessThan(300);
  return body.run_id as string;
}

const readText = (path: string): Promise<string | null> => readFile(path, 'utf8').catch(() => null);

describe('notify cmd', () => {
  it('gets MXX_* in its environment and the run record on stdin', async () => {
    const envFile = join(scratch, 'env.txt');
    const stdinFile = join(scratch, 'stdin.json');
    await register('reporter', {
      os: { cmd: 'echo broken >&2; exit 4' },
      notify: { cmd: `env | grep '^MXX_' > '${envFile}.tmp'; cat > '${stdinFile}'; mv '${envFile}.tmp' '${envFile}'` },
    });
    const runId = await trigger('reporter');
    const envText = await waitFor(() => readText(envFile), 10_000, 'the cmd to write its environment');
    const env = Object.fromEntries(envText.trim().split('\n').map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
    expect(env).toMatchObject({
      MXX_JOB_ID: 'reporter',
      MXX_RUN_ID: runId,
      MXX_STATUS: 'failed',
      MXX_EXIT_CODE: '4',
      MXX_LOG_PATH: server.supervisor.runLogPath({ job_id: 'reporter', run_id: runId }),
      MXX_EVENT: 'failed',
    });
    const record = JSON.parse((await readText(stdinFile))!);
    expect(record).toMatchObject({ run_id: runId, job_id: 'reporter', status: 'failed', exit_code: 4 });
    expect(record.output_tail).toContain('broken');
    await waitFor(() => /INFO +notification delivered .*job=reporter .*event=failed .*target=cmd/.test(server.logs()), 5_000, 'the delivered line');
    // Its scratch files (input, log) are gone once it has ended.
    expect(await readdir(join(server.home, 'server', 'notify'))).toEqual([]);
    await server.call('/registry/reporter', { method: 'DELETE' });
  });

  it('a cmd that never exits is stopped at its lifetime, its whole group with it', async () => {
    const pidFile = join(scratch, 'hang.pid');
    await register('hangs', {
      os: { cmd: 'exit 1' },
      // A background child too: the group, not just the shell, must go.
      notify: { cmd: `echo $$ > '${pidFile}'; sleep 1000 & sleep 1000`, lifetime: 1 },
    });
    await trigger('hangs');
    const pgid = Number(await waitFor(() => readText(pidFile), 10_000, 'the cmd to start'));
    try {
      expect(groupMembers(pgid).length).toBeGreaterThanOrEqual(2);
      await waitFor(() => /WARN +notification failed; giving up .*job=hangs .*target=cmd .*reason="lifetime of 1s passed"/.test(server.logs()), 10_000, 'the lifetime');
      expect(await waitGroupGone(pgid)).toBe(true);
    } finally {
      killGroups([pgid]);
      await server.call('/registry/hangs', { method: 'DELETE' });
    }
  });

  it('a `started` cmd that outlives its run is not taken for one of the run\'s processes', async () => {
    const doneFile = join(scratch, 'started.done');
    await register('brief', { os: { cmd: 'sleep 0.2' }, notify: { on: ['started'], cmd: `sleep 1; echo $MXX_EVENT > '${doneFile}'` } });
    const runId = await trigger('brief');
    expect((await waitForRun(server, runId)).status).toBe('completed');
    expect(await waitFor(() => readText(doneFile), 10_000, 'the started cmd to finish')).toBe('started\n');
    await waitFor(() => /INFO +notification delivered .*job=brief .*event=started .*target=cmd/.test(server.logs()), 5_000, 'the delivered line');
    await server.call('/registry/brief', { method: 'DELETE' });
  });

  it('a failing cmd puts its output in the server log', async () => {
    await register('loud', { os: { cmd: 'exit 1' }, notify: { cmd: 'echo no route to pager; exit 9' } });
    await trigger('loud');
    await waitFor(() => /WARN +notification failed; giving up .*job=loud .*reason="exited with code 9" output="no route to pager\\n"/.test(server.logs()), 10_000, 'the failure line');
    await server.call('/registry/loud', { method: 'DELETE' });
  });

  it('at shutdown a cmd still running is killed, nothing left', async () => {
    const home = await createHome();
    const pidFile = join(scratch, 'shutdown.pid');
    const own = await startTestServer({ home, notifier: { ...FAST, closeTimeoutMs: 100 } });
    let pgid = 0;
    try {
      const { status } = await own.call('/jobs', {
        method: 'POST',
        json: { job_id: 'slow', config: { os: { cmd: 'exit 1' }, notify: { cmd: `echo $$ > '${pidFile}'; sleep 1000`, lifetime: 600 } } },
      });
      expect(status).toBe(201);
      await own.call('/jobs/slow/trigger', { method: 'POST' });
      pgid = Number(await waitFor(() => readText(pidFile), 10_000, 'the cmd to start'));
      await own.close();
      expect(await waitGroupGone(pgid)).toBe(true);
      expect(own.logs()).toMatch(/stopping 1 notification\(s\) still under way at shutdown/);
    } finally {
      if (pgid) killGroups([pgid]);
      await own.dispose();
    }
  });
});

describe('recovered', () => {
  it('is sent after a restart between the failure and the fix', async () => {
    const receiver = await startReceiver(200);
    const jobFile = (cmd: string): string => `[os]\ncmd = "${cmd}"\n[notify]\nwebhook = "${receiver.url}"\non = ["failed", "recovered"]\n`;
    const home = await createHome({ 'phoenix.toml': jobFile('exit 2') });
    try {
      const first = await startTestServer({ home, notifier: FAST });
      const { body } = await first.call('/jobs/phoenix/trigger', { method: 'POST' });
      await waitForRun(first, body.run_id);
      await waitFor(() => receiver.events('failed').length === 1, 10_000, 'the failed notification');
      await first.close();

      await writeFile(join(home, 'jobs', 'phoenix.toml'), jobFile('true'));
      const second = await startTestServer({ home, notifier: FAST });
      try {
        const { body: fixed } = await second.call('/jobs/phoenix/trigger', { method: 'POST' });
        const recovered = await waitFor(() => receiver.events('recovered')[0], 10_000, 'recovered');
        expect(recovered.body.run).toMatchObject({ run_id: fixed.run_id, status: 'completed' });
      } finally {
        await second.close();
      }
    } finally {
      await receiver.close();
      await rm(home, { recursive: true, force: true });
    }
  });
});

describe('config.toml [notify]', () => {
  it('sets defaults for every job; a job with enabled = false opts out', async () => {
    const receiver = await startReceiver(200);
    const home = await createHome({ 'plain.toml': '[os]\ncmd = "true"\n', 'quiet.toml': '[os]\ncmd = "true"\n[notify]\nenabled = false\n' });
    await writeFile(join(home, 'config.toml'), `[notify]\nwebhook = "${receiver.url}"\non = ["completed"]\nheaders = { X-From = "config" }\n`);
    const own = await startTestServer({ home, notifier: FAST });
    try {
      // quiet first: once plain's notification is in, quiet's run event was looked at long before.
      await waitForRun(own, (await own.call('/jobs/quiet/trigger', { method: 'POST' })).body.run_id);
      await waitForRun(own, (await own.call('/jobs/plain/trigger', { method: 'POST' })).body.run_id);
      const got = await waitFor(() => receiver.events('completed')[0], 10_000, "plain's notification");
      expect(got.body.job_id).toBe('plain');
      expect(got.headers['x-from']).toBe('config');
      await waitFor(() => /notification delivered .*job=plain/.test(own.logs()), 5_000, 'the delivered line');
      expect(receiver.received.map((r) => r.body.job_id)).toEqual(['plain']);
    } finally {
      await own.dispose();
      await receiver.close();
    }
  });
});
