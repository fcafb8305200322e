/**
 * Webhook notifications (SPEC §12) with real parts: a real server, real runs, a real receiver on
 * 127.0.0.1. Bounds and timeouts are scaled down through StartOptions.notifier; tests that count
 * deliveries start a notifier of their own (with config.toml-style defaults) on the server's
 * supervisor.
 */
import { hostname } from 'node:os';
import { PassThrough } from 'node:stream';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotifySpec } from '../../src/job/notify.js';
import { createLogger } from '../../src/logger.js';
import { startNotifier, type Notifier, type NotifierOptions } from '../../src/notify/index.js';
import { VERSION } from '../../src/version.js';
import { closedPort, startReceiver } from '../_receiver.js';
import { startTestServer, waitFor, waitForRun, type TestServer } from '../_server.js';

const FAST = { timeoutMs: 300, backoffMs: 10, closeTimeoutMs: 1_000, cmdGraceMs: 200 };

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ notifier: FAST });
});
afterAll(async () => {
  await server?.dispose();
});

async function register(jobId: string, config: Record<string, unknown>, schedule?: Record<string, unknown>): Promise<void> {
  const { status, body } = await server.call('/jobs', { method: 'POST', json: { job_id: jobId, config, ...(schedule ? { schedule } : {}), replace_existing: true } });
  expect(status, JSON.stringify(body)).toBeLessThan(300);
}

async function trigger(jobId: string): Promise<string> {
  const { status, body } = await server.call(`/jobs/${jobId}/trigger`, { method: 'POST' });
  expect(status, JSON.stringify(body)).toBeLessThan(300);
  return body.run_id as string;
}

async function unregister(...ids: string[]): Promise<void> {
  for (const id of ids) await server.call(`/registry/${id}`, { method: 'DELETE' });
}

/** A notifier of the test's own on the server's supervisor, with its own log. */
function ownNotifier(defaults: NotifySpec, options: Partial<NotifierOptions> = {}): { notifier: Notifier; logs: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const notifier = startNotifier(server.supervisor, {
    ...FAST,
    ...options,
    defaults,
    logger: createLogger({ level: 'debug', stream }),
    serverUrl: () => server.url,
  });
  return { notifier, logs: () => text };
}

const lines = (text: string, pattern: RegExp): string[] => text.split('\n').filter((line) => pattern.test(line));

describe('webhook notifications', () => {
  it('POSTs the run record of a failed run with the configured headers', async () => {
    const receiver = await startReceiver(200);
    try {
      await register('fails', { os: { cmd: 'echo oops; exit 3' }, notify: { webhook: receiver.url, headers: { 'X-Token': 'abc' } } });
      const runId = await trigger('fails');
      const got = await waitFor(() => receiver.events('failed')[0], 10_000, 'the failed notification');
      expect(got.method).toBe('POST');
      expect(got.path).toBe('/hook');
      expect(got.headers['content-type']).toBe('application/json');
      expect(got.headers['user-agent']).toBe(`mxx/${VERSION}`);
      expect(got.headers['x-token']).toBe('abc');
      const { event, job_id, run, host, server_url } = got.body;
      expect({ event, job_id, host, server_url }).toEqual({ event: 'failed', job_id: 'fails', host: hostname(), server_url: server.url });
      expect(run).toMatchObject({ run_id: runId, job_id: 'fails', status: 'failed', exit_code: 3, trigger: 'manual' });
      expect(run.output_tail).toContain('oops');
      expect(run.ended_at).toEqual(expect.any(String));
      await waitFor(() => /INFO +notification delivered .*job=fails .*event=failed/.test(server.logs()), 5_000, 'the delivered line');
      // Default `on` is failed and timed_out: a completed run sends nothing.
      expect(receiver.received).toHaveLength(1);
    } finally {
      await unregister('fails');
      await receiver.close();
    }
  });

  it('retries a 500 three times, then gives up; after the fix (job file edited) it sends recovered', async () => {
    const receiver = await startReceiver(500);
    const file = join(server.jobsDir, 'flaky.toml');
    const jobFile = (cmd: string): string => `[os]\ncmd = "${cmd}"\n[notify]\nwebhook = "${receiver.url}"\non = ["failed", "recovered"]\n`;
    try {
      await writeFile(file, jobFile('exit 1'));
      await waitFor(async () => (await server.call('/registry/flaky')).status === 200, 5_000, 'flaky registered');
      const failedRun = await trigger('flaky');
      await waitFor(() => /notification failed after 4 attempts; giving up .*job=flaky/.test(server.logs()), 10_000, 'giving up');
      expect(receiver.events('failed')).toHaveLength(4);
      expect(new Set(receiver.events('failed').map((r) => r.body.run.run_id))).toEqual(new Set([failedRun]));
      expect(lines(server.logs(), /WARN +notification attempt \d failed; retrying .*job=flaky .*reason="HTTP 500"/)).toHaveLength(3);

      receiver.answer(200);
      await writeFile(file, jobFile('echo fixed'));
      await waitFor(async () => (await server.call('/registry/flaky')).body?.config?.os?.cmd === 'echo fixed', 5_000, 'flaky edited');
      const fixedRun = await trigger('flaky');
      const recovered = await waitFor(() => receiver.events('recovered')[0], 10_000, 'recovered');
      expect(recovered.body.run).toMatchObject({ run_id: fixedRun, status: 'completed', exit_code: 0 });
      // The next completed run is no recovery.
      await waitForRun(server, await trigger('flaky'));
      await waitFor(async () => (await server.call('/jobs/flaky/runs')).body.count === 3, 5_000, 'three runs');
      await waitFor(() => lines(server.logs(), /notification delivered .*job=flaky/).length === 1, 2_000, 'one delivery');
      expect(receiver.events('recovered')).toHaveLength(1);
      expect(receiver.events('completed')).toHaveLength(0);
    } finally {
      await unregister('flaky');
      await receiver.close();
    }
  });

  it('a receiver that never answers: bounded attempts, WARN lines, counted failed; the job keeps firing meanwhile', async () => {
    const receiver = await startReceiver('hang');
    const { notifier, logs } = ownNotifier({ webhook: receiver.url, on: ['completed'] }, { timeoutMs: 200, retries: 1, maxInFlight: 2, maxQueued: 2 });
    try {
      await register('ticker', { os: { cmd: 'true' } }, { trigger: 'interval', seconds: 0.1 });
      // Runs go on while every notification hangs, and deliveries stay within their bounds.
      await waitFor(async () => (await server.call('/jobs/ticker/runs?limit=20')).body.runs.filter((r: any) => r.status === 'completed').length >= 15, 15_000, '15 completed runs');
      await waitFor(() => notifier.counts().failed >= 3, 10_000, 'failed deliveries');
      const counts = notifier.counts();
      expect(counts.delivered).toBe(0);
      expect(counts.retried).toBeGreaterThan(0);
      expect(lines(logs(), /WARN +notification attempt 1 failed; retrying .*reason="timed out after 200 ms"/).length).toBeGreaterThan(0);
      expect(lines(logs(), /WARN +notification failed after 2 attempts; giving up .*job=ticker .*reason="timed out after 200 ms"/).length).toBeGreaterThan(0);
      // Beyond 2 under way and 2 waiting, notifications are dropped, never piled up.
      expect(lines(logs(), /WARN +notification dropped: /).length).toBeGreaterThan(0);
      // No delivery made more than 1 + retries attempts.
      const perRun = new Map<string, number>();
      for (const r of receiver.received) perRun.set(r.body.run.run_id, (perRun.get(r.body.run.run_id) ?? 0) + 1);
      expect(Math.max(...perRun.values())).toBeLessThanOrEqual(2);
    } finally {
      await unregister('ticker');
      await notifier.close();
      await receiver.close();
    }
  });

  it('a redirect is not followed: one request, a final failure naming the Location', async () => {
    const receiver = await startReceiver((_request, response) => response.writeHead(302, { location: '/hook?again=1' }).end());
    const { notifier, logs } = ownNotifier({ webhook: receiver.url, on: ['completed'] });
    try {
      await register('redirected', { os: { cmd: 'true' } });
      await waitForRun(server, await trigger('redirected'));
      await waitFor(() => notifier.counts().failed === 1, 5_000, 'a failed delivery');
      expect(notifier.counts()).toEqual({ delivered: 0, failed: 1, retried: 0 });
      expect(receiver.received).toHaveLength(1);
      expect(logs()).toMatch(/WARN +notification failed; giving up .*job=redirected .*reason="HTTP 302: a redirect to http:\/\/127\.0\.0\.1:\d+\/hook, not followed"/);
    } finally {
      await unregister('redirected');
      await notifier.close();
      await receiver.close();
    }
  });

  it('a refused port is retried, then given up', async () => {
    const port = await closedPort();
    const { notifier, logs } = ownNotifier({ webhook: `http://127.0.0.1:${port}/hook`, on: ['completed'] });
    try {
      await register('refused', { os: { cmd: 'true' } });
      await waitForRun(server, await trigger('refused'));
      await waitFor(() => notifier.counts().failed === 1, 5_000, 'a failed delivery');
      expect(notifier.counts()).toEqual({ delivered: 0, failed: 1, retried: 3 });
      expect(lines(logs(), /WARN +notification attempt \d failed; retrying .*reason="connection refused \(ECONNREFUSED\)"/)).toHaveLength(3);
      expect(logs()).toMatch(/giving up .*target="webhook http:\/\/127\.0\.0\.1:\d+" .*reason="connection refused/);
    } finally {
      await unregister('refused');
      await notifier.close();
    }
  });

  it('a 4xx is final: no retry', async () => {
    const receiver = await startReceiver(404);
    const { notifier, logs } = ownNotifier({ webhook: receiver.url, on: ['completed'] });
    try {
      await register('gone', { os: { cmd: 'true' } });
      await waitForRun(server, await trigger('gone'));
      await waitFor(() => notifier.counts().failed === 1, 5_000, 'a failed delivery');
      expect(notifier.counts()).toEqual({ delivered: 0, failed: 1, retried: 0 });
      expect(receiver.received).toHaveLength(1);
      expect(logs()).toMatch(/reason="HTTP 404, not retried"/);
    } finally {
      await unregister('gone');
      await notifier.close();
      await receiver.close();
    }
  });

  it('defaults reach every job; enabled = false opts one out; a job webhook gets no default headers', async () => {
    const shared = await startReceiver(200);
    const own = await startReceiver(200);
    const { notifier } = ownNotifier({ webhook: shared.url, headers: { Authorization: 'Bearer shared' }, on: ['completed'] });
    try {
      await register('quiet', { os: { cmd: 'true' }, notify: { enabled: false } });
      await register('plain', { os: { cmd: 'true' } });
      await register('elsewhere', { os: { cmd: 'true' }, notify: { webhook: own.url } });
      // One after the other: when plain's delivery arrived, quiet's event was looked at long before.
      await waitForRun(server, await trigger('quiet'));
      await waitForRun(server, await trigger('elsewhere'));
      await waitForRun(server, await trigger('plain'));
      await waitFor(() => notifier.counts().delivered === 2, 5_000, 'two deliveries');
      expect(shared.received.map((r) => r.body.job_id)).toEqual(['plain']);
      expect(shared.received[0]!.headers.authorization).toBe('Bearer shared');
      expect(own.received.map((r) => r.body.job_id)).toEqual(['elsewhere']);
      expect(own.received[0]!.headers.authorization).toBeUndefined();
    } finally {
      await unregister('quiet', 'plain', 'elsewhere');
      await notifier.close();
      await shared.close();
      await own.close();
    }
  });

  it('close() ends a delivery that hangs, within its bound', async () => {
    const receiver = await startReceiver('hang');
    const { notifier, logs } = ownNotifier({ webhook: receiver.url, on: ['completed'] }, { timeoutMs: 60_000, closeTimeoutMs: 100 });
    try {
      await register('late', { os: { cmd: 'true' } });
      await waitForRun(server, await trigger('late'));
      await waitFor(() => receiver.received.length === 1, 5_000, 'the request under way');
      await notifier.close();
      expect(notifier.counts()).toEqual({ delivered: 0, failed: 1, retried: 0 });
      expect(logs()).toMatch(/stopping 1 notification\(s\) still under way at shutdown/);
      expect(logs()).toMatch(/reason="aborted: the server is shutting down"/);
    } finally {
      await unregister('late');
      await notifier.close();
      await receiver.close();
    }
  });
});

describe('[notify] validation', () => {
  const validate = async (notify: Record<string, unknown>): Promise<{ path: string; message: string }[]> => {
    const { status, body } = await server.call('/validate', { method: 'POST', json: { config: { os: { cmd: 'true' }, notify } } });
    expect(status).toBe(200);
    expect(body.valid).toBe(false);
    return body.errors;
  };

  it('names a misspelt key with a suggestion', async () => {
    expect(await validate({ webhok: 'http://127.0.0.1/hook' })).toEqual([
      { path: 'notify.webhok', message: 'is not a known key (did you mean "webhook"?)' },
    ]);
  });

  it('names a misspelt event with a suggestion', async () => {
    const [issue, ...rest] = await validate({ webhook: 'http://127.0.0.1/hook', on: ['faild'] });
    expect(rest).toEqual([]);
    expect(issue!.path).toBe('notify.on[0]');
    expect(issue!.message).toMatch(/^must be one of started, completed, failed, .*got "faild" \(did you mean "failed"\?\)$/);
  });

  it.each([
    ['hooks.example/mxx', 'must be an http:// or https:// URL, got "hooks.example/mxx"'],
    ['ftp://hooks.example/mxx', 'must be an http:// or https:// URL, got "ftp://hooks.example/mxx"'],
    ['https://me:secret@hooks.example/mxx', 'must not carry a user name or password; send them as headers = { Authorization = "..." }'],
  ])('refuses the webhook %s', async (webhook, message) => {
    expect(await validate({ webhook })).toEqual([{ path: 'notify.webhook', message }]);
  });

  it('a job file with a bad [notify] is not loaded, and says why', async () => {
    await writeFile(join(server.jobsDir, 'typo.toml'), '[os]\ncmd = "true"\n[notify]\nwebhok = "http://127.0.0.1/hook"\n');
    try {
      const errors = await waitFor(async () => {
        const found = server.supervisor.listLoadErrors().find((e) => e.file.endsWith('typo.toml'));
        return found?.error;
      }, 5_000, 'the load error');
      expect(errors).toMatch(/typo\.toml: notify\.webhok is not a known key \(did you mean "webhook"\?\)/);
      expect((await server.call('/registry/typo')).status).toBe(404);
    } finally {
      await rm(join(server.jobsDir, 'typo.toml'), { force: true });
    }
  });
});
