import { readdirSync, readlinkSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectApiError, startTestServer, waitFor, waitForRun, type TestServer } from '../_server.js';

const ON_LINUX = process.platform === 'linux';
const LOG_BYTES = 10_000_000;

/** The server runs in this process: its open descriptors on `path`, from /proc/self/fd. */
function openHandles(path: string): number {
  let count = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === path) count++;
    } catch {
      // closed while we looked
    }
  }
  return count;
}

async function register(server: TestServer, id: string, cmd: string): Promise<void> {
  const { status } = await server.call('/jobs', { method: 'POST', json: { job_id: id, config: { os: { cmd } } } });
  expect(status).toBe(201);
}

async function runToEnd(server: TestServer, id: string): Promise<any> {
  const { body } = await server.call(`/jobs/${id}/trigger`, { method: 'POST' });
  return waitForRun(server, body.run_id);
}

async function readAll(response: Response): Promise<{ bytes: number; chunks: number; text: string }> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let bytes = 0;
  let chunks = 0;
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { bytes, chunks, text };
    bytes += value.byteLength;
    chunks++;
    if (bytes <= 1024 * 1024) text += decoder.decode(value, { stream: true });
  }
}

describe('GET /runs/{id}/log of a finished run', () => {
  let server: TestServer;
  let big: any;
  beforeAll(async () => {
    server = await startTestServer();
    await register(server, 'big', String.raw`head -c ${LOG_BYTES} /dev/zero | tr '\0' x`);
    big = await runToEnd(server, 'big');
    expect(big.status).toBe('completed');
  });
  afterAll(async () => {
    await server.dispose();
  });

  it('streams a 10 MB log to 20 readers at once: chunked, never one buffer, every byte delivered', async () => {
    const responses = await Promise.all(Array.from({ length: 20 }, () => server.api(`/runs/${big.run_id}/log`)));
    for (const response of responses) {
      expect(response.status).toBe(200);
      expect(response.headers.get('x-mxx-log-source')).toBe('file');
      expect(response.headers.get('content-type')).toMatch(/text\/plain/);
      // A body read whole would have been sent with its length.
      expect(response.headers.get('content-length')).toBeNull();
      expect(response.headers.get('transfer-encoding')).toBe('chunked');
    }
    const bodies = await Promise.all(responses.map(readAll));
    for (const body of bodies) {
      expect(body.bytes).toBe(LOG_BYTES);
      expect(body.chunks).toBeGreaterThan(1);
    }
    expect(bodies[0]!.text.startsWith('xxxx')).toBe(true);
  });

  it.skipIf(!ON_LINUX)('closes the log file when a reader is done and when one goes away mid-stream (counts fds in /proc: Linux only)', async () => {
    const path = server.supervisor.runLogPath(big);
    const done = await server.api(`/runs/${big.run_id}/log`);
    expect((await readAll(done)).bytes).toBe(LOG_BYTES);
    expect(await waitFor(() => openHandles(path) === 0, 5000, 'the log file closed after a full read')).toBe(true);
    const abort = new AbortController();
    const partial = await server.api(`/runs/${big.run_id}/log`, { signal: abort.signal });
    const reader = partial.body!.getReader();
    expect((await reader.read()).done).toBe(false);
    abort.abort();
    await reader.cancel().catch(() => undefined);
    expect(await waitFor(() => openHandles(path) === 0, 5000, 'the log file closed after the reader left')).toBe(true);
  });

  it('falls back to the output tail kept in the record when the log file is gone', async () => {
    await register(server, 'talks', 'echo hello from the tail');
    const run = await runToEnd(server, 'talks');
    await rm(server.supervisor.runLogPath(run));
    const response = await server.api(`/runs/${run.run_id}/log`);
    expect(response.status).toBe(200);
    expect(response.headers.get('x-mxx-log-source')).toBe('tail');
    expect(await response.text()).toBe('hello from the tail\n');
    const followed = await server.api(`/runs/${run.run_id}/log?follow=true`);
    expect(followed.headers.get('x-mxx-log-source')).toBe('tail');
    expect(await followed.text()).toBe('hello from the tail\n');
  });

  it('answers 404 LOG_NOT_FOUND when neither the log file nor a tail is left', async () => {
    await register(server, 'quiet', 'true');
    const run = await runToEnd(server, 'quiet');
    await rm(server.supervisor.runLogPath(run));
    const { status, body } = await server.call(`/runs/${run.run_id}/log`);
    await expectApiError({ status, body }, 404, 'LOG_NOT_FOUND');
    expect(body.error).toBe(`run ${run.run_id} has no log left: its log file was removed and no output was kept in the record`);
  });

  it('answers 404 LOG_NOT_FOUND for a run that never started (skipped), saying so', async () => {
    // A manual trigger refused by the overlap policy records nothing; a timer's fire records a skipped run.
    const { status: created } = await server.call('/jobs', {
      method: 'POST',
      json: { job_id: 'busy', config: { os: { cmd: 'sleep 30' } }, schedule: { trigger: 'interval', seconds: 1 } },
    });
    expect(created).toBe(201);
    const skipped = await waitFor(
      async () => (await server.call('/jobs/busy/runs')).body.runs.find((r: any) => r.status === 'skipped'),
      10_000,
      'a skipped fire',
    );
    const { status, body } = await server.call(`/runs/${skipped.run_id}/log`);
    await expectApiError({ status, body }, 404, 'LOG_NOT_FOUND');
    expect(body.error).toMatch(new RegExp(`run ${skipped.run_id} .*skipped.*never started`));
    await server.call('/jobs/busy?terminate=true', { method: 'DELETE' });
  });
});

describe('GET /runs/{id}/log?follow=true', () => {
  let server: TestServer;
  const warnings: Error[] = [];
  const onWarning = (warning: Error): void => {
    warnings.push(warning);
  };
  beforeAll(async () => {
    process.on('warning', onWarning);
    server = await startTestServer();
  });
  afterAll(async () => {
    process.off('warning', onWarning);
    await server.dispose();
  });

  it('answers a follower of a run with no output yet at once (headers before the first byte)', async () => {
    await register(server, 'silent', 'sleep 30');
    const { body } = await server.call('/jobs/silent/trigger', { method: 'POST' });
    const abort = new AbortController();
    const response = await server.api(`/runs/${body.run_id}/log?follow=true`, { signal: abort.signal });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-mxx-log-source')).toBe('file');
    abort.abort();
    await server.call('/jobs/silent/stop', { method: 'POST' });
    await waitForRun(server, body.run_id);
  });

  it('a followed run whose log file is gone ends with the output kept in its record, saying so', async () => {
    const marker = join(server.home, 'unlinked.go');
    await register(server, 'unlinked', `echo early; while [ ! -e '${marker}' ]; do sleep 0.05; done; echo late`);
    const { body } = await server.call('/jobs/unlinked/trigger', { method: 'POST' });
    const path = server.supervisor.runLogPath(await server.call(`/runs/${body.run_id}`).then((r) => r.body));
    await waitFor(() => readFile(path, 'utf8').then((t) => t.includes('early'), () => false), 10_000, 'the first line in the log');
    await rm(path);
    const response = await server.api(`/runs/${body.run_id}/log?follow=true`);
    expect(response.status).toBe(200);
    await writeFile(marker, '');
    expect(await response.text()).toBe(`[mxx] run ${body.run_id} wrote no log file; this is the output kept in its record\nearly\nlate\n`);
  });

  it('bounds followers (64): the next one gets 503 TOO_MANY_SUBSCRIBERS with Retry-After, a freed slot lets one in', async () => {
    await register(server, 'long', 'echo started; sleep 60');
    const { body } = await server.call('/jobs/long/trigger', { method: 'POST' });
    const runId = body.run_id as string;
    const listenersBefore = server.supervisor.listenerCount('run-output') + server.supervisor.listenerCount('run-end');
    const followers = await Promise.all(
      Array.from({ length: 64 }, async () => {
        const abort = new AbortController();
        const response = await server.api(`/runs/${runId}/log?follow=true`, { signal: abort.signal });
        return { abort, response };
      }),
    );
    expect(followers.map((f) => f.response.status)).toEqual(Array(64).fill(200));
    // One shared wake-up, not two listeners per follower.
    expect(server.supervisor.listenerCount('run-output') + server.supervisor.listenerCount('run-end')).toBe(listenersBefore);

    const refused = await server.api(`/runs/${runId}/log?follow=true`);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    const error = (await refused.json()) as any;
    expect(error.code).toBe('TOO_MANY_SUBSCRIBERS');
    expect(error.error).toMatch(/64/);
    expect(error.hint).toBeTruthy();

    // A finished log is not a follower: it is still served while the slots are full.
    await register(server, 'done', 'echo finished');
    const finished = await runToEnd(server, 'done');
    const plain = await server.api(`/runs/${finished.run_id}/log?follow=true`);
    expect(plain.status).toBe(200);
    expect(await plain.text()).toBe('finished\n');

    const leaving = followers.pop()!;
    leaving.abort.abort();
    const admitted = await waitFor(
      async () => {
        const response = await server.api(`/runs/${runId}/log?follow=true`);
        if (response.status === 200) return response;
        await response.body?.cancel();
        return null;
      },
      10_000,
      'a freed follower slot',
    );
    const rest = [...followers.map((f) => f.response), admitted];
    await server.call('/jobs/long/stop', { method: 'POST' });
    const texts = await Promise.all(rest.map((r) => r.text()));
    expect(texts.every((t) => t.startsWith('started\n'))).toBe(true);
    for (const f of followers) f.abort.abort();

    // Every slot is free again once the run has ended.
    const { body: next } = await server.call('/jobs/long/trigger', { method: 'POST' });
    const again = await Promise.all(Array.from({ length: 64 }, () => server.api(`/runs/${next.run_id}/log?follow=true`)));
    expect(again.map((r) => r.status)).toEqual(Array(64).fill(200));
    await server.call('/jobs/long/stop', { method: 'POST' });
    await Promise.all(again.map((r) => r.text()));
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
  });
});
