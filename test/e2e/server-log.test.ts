/**
 * The server log (SPEC §13) from a real server: a job failing every second, registrations over the
 * API and from files, pause/resume, requests under --debug, and the shutdown naming the run it stops.
 */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, waitFor, waitForRun, type TestServer } from '../_server.js';

const FLAKY = '[os]\ncmd = "exit 3"\n[schedule]\ntrigger = "interval"\nseconds = 1\n';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ debug: true, files: { 'flaky.toml': FLAKY } });
});
afterAll(async () => {
  await server.dispose();
});

/** Log lines with this message (text format: `<time> LEVEL msg k=v …`). */
const linesOf = (msg: string): string[] =>
  server
    .logs()
    .split('\n')
    .filter((line) => new RegExp(`^\\S+ [A-Z]+ +${msg}( |$)`).test(line));

describe('run ends', () => {
  it('a failed run is a WARN line with job, run id, status, exit code and duration', async () => {
    const line = await waitFor(() => linesOf('run ended').find((l) => l.includes('job=flaky')), 10_000, 'a run ended line of flaky');
    const runId = /\brun=(\S+)/.exec(line)![1]!;
    const record = (await server.call(`/runs/${runId}`)).body;
    expect(record).toMatchObject({ job_id: 'flaky', status: 'failed', exit_code: 3 });
    expect(line).toMatch(new RegExp(`^\\S+ WARN  run ended job=flaky run=${runId} status=failed exit_code=3 duration_ms=${record.duration_ms} trigger=schedule error="exited with code 3"$`));
  });

  it('a completed run is INFO; run started is DEBUG', async () => {
    const registered = await server.call('/jobs', { method: 'POST', json: { job_id: 'fine', config: { os: { cmd: 'true' } } } });
    expect(registered.status).toBe(201);
    const { body } = await server.call('/jobs/fine/trigger', { method: 'POST' });
    await waitForRun(server, body.run_id);
    const ended = await waitFor(() => linesOf('run ended').find((l) => l.includes(`run=${body.run_id}`)), 5000, 'the run ended line');
    expect(ended).toMatch(/ INFO  run ended job=fine run=\S+ status=completed exit_code=0 duration_ms=\d+ trigger=manual$/);
    expect(linesOf('run started').find((l) => l.includes(`run=${body.run_id}`))).toMatch(/ DEBUG run started job=fine run=\S+ pid=\d+ trigger=manual$/);
  });
});

describe('jobs', () => {
  it('registration, pause, resume and removal over the API each have an INFO line', async () => {
    await server.call('/jobs', { method: 'POST', json: { job_id: 'hourly', config: { os: { cmd: 'true' } }, schedule: { trigger: 'interval', hours: 1 } } });
    expect((await server.call('/jobs/hourly', { method: 'DELETE' })).status).toBe(200);
    expect((await server.call('/jobs/hourly/resume', { method: 'POST' })).status).toBe(200);
    expect((await server.call('/registry/hourly', { method: 'DELETE' })).status).toBe(200);
    const lines = server.logs().split('\n').filter((l) => / INFO  job \w+ job=hourly/.test(l));
    expect(lines.map((l) => /INFO  (job \w+)/.exec(l)![1])).toEqual(['job registered', 'job paused', 'job resumed', 'job removed']);
    expect(lines[0]).toMatch(/job registered job=hourly source=api next_run=\S+$/);
    expect(lines[3]).toMatch(/job removed job=hourly source=api$/);
  });

  it('a job file added and deleted: one registered and one removed line, naming the file', async () => {
    const file = join(server.jobsDir, 'from-file.toml');
    await writeFile(file, '[os]\ncmd = "true"\n');
    await waitFor(() => linesOf('job registered').find((l) => l.includes('job=from-file')), 5000, 'the registered line');
    await rm(file);
    await waitFor(() => linesOf('job removed').find((l) => l.includes('job=from-file')), 5000, 'the removed line');
    const mentions = server.logs().split('\n').filter((l) => l.includes('from-file'));
    expect(mentions).toHaveLength(2);
    expect(mentions[0]).toMatch(new RegExp(` INFO  job registered job=from-file source=file file=${file} next_run="on demand"$`));
    expect(mentions[1]).toMatch(new RegExp(` INFO  job removed job=from-file source=file file=${file}$`));
  });

  it('a broken job file is logged once (by the loader), not a second time for its event', async () => {
    const file = join(server.jobsDir, 'broken.toml');
    await writeFile(file, '[os]\ncmd = "true"\nbogus = 1\n');
    await waitFor(() => server.logs().includes('broken.toml failed to load'), 5000, 'the load error line');
    await rm(file);
    expect(server.logs().split('\n').filter((l) => l.includes('broken.toml'))).toHaveLength(1);
  });
});

describe('--debug', () => {
  it('logs every request with method, path, status and ms', async () => {
    await server.api('/health');
    await server.api('/jobs/no-such-job');
    const requests = linesOf('request');
    expect(requests.some((l) => /DEBUG request method=GET path=\/api\/scheduler\/health status=200 ms=[\d.]+$/.test(l))).toBe(true);
    expect(requests.some((l) => /DEBUG request method=GET path=\/api\/scheduler\/jobs\/no-such-job status=404 ms=[\d.]+$/.test(l))).toBe(true);
  });

  it('without --debug no request is logged', async () => {
    const quiet = await startTestServer();
    try {
      await quiet.api('/health');
      expect(quiet.logs()).not.toMatch(/ request method=/);
    } finally {
      await quiet.dispose();
    }
  });
});

describe('shutdown', () => {
  it('names the runs it stops, then each ends as interrupted (WARN)', async () => {
    const own = await startTestServer({ files: { 'sleeper.toml': '[lifetime]\nlifetime = 60\ngrace = 1\n[os]\ncmd = "sleep 30"\n' } });
    let runId = '';
    try {
      runId = (await own.call('/jobs/sleeper/trigger', { method: 'POST' })).body.run_id;
      await waitFor(async () => (await own.call(`/runs/${runId}`)).body.status === 'running', 5000, 'the run to start');
    } finally {
      await own.dispose();
    }
    const lines = own.logs().split('\n');
    const stopping = lines.findIndex((l) => / INFO  server stopping /.test(l));
    expect(lines[stopping]).toMatch(new RegExp(`server stopping running=1 runs=sleeper/${runId}$`));
    const ended = lines.findIndex((l) => l.includes(`run ended job=sleeper run=${runId} status=interrupted`));
    expect(lines[ended]).toMatch(/ WARN  run ended /);
    expect(ended).toBeGreaterThan(stopping);
  });
});
