/** `mxx runs` without an id: recent runs of all jobs, filtered and paged. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempHome, liveChildren, runCli, type CliResult, type TempHome } from '../_cli.js';
import { startTestServer, waitForRun, type TestServer } from '../_server.js';

let home: TempHome;
let server: TestServer;
/** Run ids, oldest first. */
const runs: Array<{ id: string; job: string }> = [];

const mxx = (args: string[]): Promise<CliResult> => runCli([...args, '--server', server.url], { env: home.env, cwd: home.dir });

/** The table's data lines (the header and any note left out). */
const rows = (stdout: string): string[][] =>
  stdout
    .trim()
    .split('\n')
    .filter((line) => !/^(RUN|more runs)/.test(line))
    .map((line) => line.split(/\s{2,}/));

beforeAll(async () => {
  home = await createTempHome();
  server = await startTestServer();
  for (const [id, cmd] of [['backup', 'echo b'], ['report', 'exit 4']]) {
    const { status } = await server.call('/jobs', { method: 'POST', json: { job_id: id, config: { os: { cmd } } } });
    expect(status).toBe(201);
  }
  for (const job of ['backup', 'report', 'backup', 'report', 'backup']) {
    const { body } = await server.call(`/jobs/${job}/trigger`, { method: 'POST' });
    await waitForRun(server, body.run_id);
    runs.push({ id: body.run_id, job });
  }
});

afterAll(async () => {
  await server?.dispose();
  expect(liveChildren()).toBe(0);
  await home?.cleanup();
});

describe('mxx runs (all jobs)', () => {
  it('lists the runs of both jobs, newest first, with a JOB column', async () => {
    const r = await mxx(['runs']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^RUN\s+JOB\s+TRIGGER\s+STARTED\s+DURATION\s+STATUS\s+EXIT$/m);
    const table = rows(r.stdout);
    expect(table.map((row) => [row[0], row[1]])).toEqual([...runs].reverse().map((run) => [run.id, run.job]));
    for (const row of table) {
      expect(row[2]).toBe('manual');
      expect(row.slice(5)).toEqual(row[1] === 'backup' ? ['completed', '0'] : ['failed', '4']);
    }
    expect(r.stdout).not.toContain('more runs');
  });

  it('--json prints the API answer', async () => {
    const r = await mxx(['runs', '--json']);
    expect(r.code).toBe(0);
    const body = JSON.parse(r.stdout);
    expect(body.count).toBe(runs.length);
    expect(body).toEqual((await server.call('/runs')).body);
  });

  it('--status and --job filter (repeatable or comma lists)', async () => {
    const failed = await mxx(['runs', '--status', 'failed']);
    expect(rows(failed.stdout).map((row) => row[1])).toEqual(['report', 'report']);
    const byJob = await mxx(['runs', '--job', 'report', '--status', 'failed,completed']);
    expect(rows(byJob.stdout).map((row) => row[0])).toEqual(runs.filter((r) => r.job === 'report').map((r) => r.id).reverse());
    const both = await mxx(['runs', '--job', 'backup', '--job', 'report', '--json']);
    expect(JSON.parse(both.stdout).count).toBe(runs.length);
  });

  it('mxx runs ID with a filter keeps the one-job table', async () => {
    const r = await mxx(['runs', 'backup', '--status', 'completed']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^RUN\s+TRIGGER\s+STARTED\s+DURATION\s+STATUS\s+EXIT$/m);
    expect(rows(r.stdout).map((row) => row[0])).toEqual(runs.filter((x) => x.job === 'backup').map((x) => x.id).reverse());
  });

  it('--limit pages, and the note names --before for the next page', async () => {
    const first = await mxx(['runs', '--limit', '2']);
    expect(rows(first.stdout).map((row) => row[0])).toEqual([runs[4]!.id, runs[3]!.id]);
    expect(first.stdout).toContain(`more runs: add --before ${runs[3]!.id}`);
    const next = await mxx(['runs', '--limit', '2', '--before', runs[3]!.id]);
    expect(rows(next.stdout).map((row) => row[0])).toEqual([runs[2]!.id, runs[1]!.id]);
  });

  it('--since takes a span back from now or an ISO time', async () => {
    expect(rows((await mxx(['runs', '--since', '1h'])).stdout)).toHaveLength(runs.length);
    const future = await mxx(['runs', '--since', new Date(Date.now() + 3_600_000).toISOString()]);
    expect(future.code).toBe(0);
    expect(future.stdout.trim()).toBe('no runs match');
  });

  it('says what is wrong with a status, a --since or a --limit, in CLI words', async () => {
    const status = await mxx(['runs', '--status', 'faild']);
    expect(status.code).toBe(1);
    expect(status.stderr).toMatch(/^Error: --status: "faild" is not a run status \(did you mean "failed"\?\)$/m);
    expect(status.stderr).toMatch(/^hint: use one or more of queued, running, completed, failed, timed_out, cancelled, interrupted, skipped, missed/m);
    const since = await mxx(['runs', '--since', 'yesterday']);
    expect(since.code).toBe(2);
    expect(since.stderr).toContain('--since "yesterday" is neither an ISO 8601 time');
    const limit = await mxx(['runs', '--limit', '5000']);
    expect(limit.code).toBe(1);
    expect(limit.stderr).toMatch(/^Error: --limit must be a whole number from 1 to 1000$/m);
    const job = await mxx(['runs', '--job', 'bakup']);
    expect(job.code).toBe(1);
    expect(job.stderr).toMatch(/^Error: job bakup not found \(did you mean "backup"\?\)$/m);
  });
});
