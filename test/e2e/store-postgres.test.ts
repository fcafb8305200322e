/**
 * A real mxx server process on the PostgreSQL store: what it registers and runs is in the database,
 * so a server started again on an EMPTY home with the same store has the job and its run history.
 * The connection password appears nowhere the user can see (server log, `mxx config`), also when
 * the database cannot be reached or the store setting is not a postgres:// URL.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createTempHome, liveChildren, runCli, startServerProcess, type TempHome } from '../_cli.js';
import { TEST_PG_PASSWORD, usePostgres } from '../_postgres.js';
import { waitFor } from '../_server.js';

const pg = usePostgres();
const homes: TempHome[] = [];

afterAll(async () => {
  for (const home of homes) await home.cleanup();
  expect(liveChildren()).toBe(0);
});

/** A fresh home whose server uses this test's database (through MXX_STORE). */
async function emptyHome(store = pg.url): Promise<TempHome> {
  const home = await createTempHome();
  home.env.MXX_STORE = store;
  homes.push(home);
  return home;
}

async function call(url: string, path: string, init: { method?: string; json?: unknown } = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(`${url}/api/scheduler${path}`, {
    method: init.method ?? 'GET',
    ...(init.json === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(init.json) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

describe('mxx server with store = postgres://…', () => {
  it('keeps the job and its runs in the database: a restart on an empty home has both; the password is never printed', async () => {
    const first = await startServerProcess(await emptyHome());
    const logs: string[] = [];
    try {
      const registered = await call(first.url, '/jobs', {
        method: 'POST',
        json: { job_id: 'kept', config: { os: { cmd: 'echo from-postgres' }, policy: { history: 5 } }, replace_existing: true },
      });
      expect([200, 201]).toContain(registered.status);
      const runIds: string[] = [];
      for (let i = 0; i < 2; i++) {
        const triggered = await call(first.url, '/jobs/kept/trigger', { method: 'POST' });
        runIds.push(triggered.body.run_id);
        await waitFor(async () => ['completed', 'failed'].includes((await call(first.url, `/runs/${triggered.body.run_id}`)).body?.status), 15_000, 'the run to end');
      }
      await call(first.url, '/jobs/kept/pause', { method: 'POST' });
      const before = (await call(first.url, '/jobs/kept/runs')).body;
      expect(await first.stop(), first.output()).toBe(0);
      logs.push(first.output());

      const second = await startServerProcess(await emptyHome());
      try {
        const job = await call(second.url, '/jobs/kept');
        const seen = (): string => `first server:\n${first.output()}\nsecond server:\n${second.output()}`;
        expect(job.status, seen()).toBe(200);
        const runs = (await call(second.url, '/jobs/kept/runs')).body;
        expect(runs, seen()).toEqual(before);
        const ids = JSON.stringify(runs);
        for (const runId of runIds) expect(ids).toContain(runId);
        const run = (await call(second.url, `/runs/${runIds[0]}`)).body;
        expect(run).toMatchObject({ run_id: runIds[0], job_id: 'kept', status: 'completed', exit_code: 0 });
        expect(run.output_tail).toContain('from-postgres');
      } finally {
        expect(await second.stop()).toBe(0);
        logs.push(second.output());
      }
    } finally {
      if (first.child.exitCode === null) await first.stop();
    }
    const text = logs.join('\n');
    expect(text).toContain('postgres://postgres:***@');
    expect(text).not.toContain(TEST_PG_PASSWORD);
  });

  it('--store on the command line opens it (over MXX_STORE), and /health says which store, connected, without the password', async () => {
    const home = await emptyHome('mysql://not-this-one/x');
    const server = await startServerProcess(home, { args: ['--store', pg.url] });
    try {
      const health = await call(server.url, '/health');
      expect(health.status).toBe(200);
      expect(health.body.store).toMatchObject({ kind: 'postgres', connected: true });
      expect(JSON.stringify(health.body)).not.toContain(TEST_PG_PASSWORD);
    } finally {
      expect(await server.stop()).toBe(0);
    }
    const files = await startServerProcess(await createTempHome().then((h) => (homes.push(h), h)));
    try {
      expect((await call(files.url, '/health')).body.store).toMatchObject({ kind: 'files', connected: true });
    } finally {
      expect(await files.stop()).toBe(0);
    }
  });

  it('mxx config shows the store without its password', async () => {
    const home = await emptyHome();
    for (const args of [['config'], ['config', '--json']]) {
      const result = await runCli(args, { env: home.env });
      expect(result.code).toBe(0);
      expect(result.stdout + result.stderr).toContain('postgres://postgres:***@');
      expect(result.stdout + result.stderr).not.toContain(TEST_PG_PASSWORD);
    }
  });

  it('an unreachable database fails the start with a clear error, no password, exit non-zero', async () => {
    const url = new URL(pg.url);
    url.port = '1';
    const home = await emptyHome(url.toString());
    const result = await runCli(['server', '--port', '0'], { env: home.env });
    expect(result.code).not.toBe(0);
    const text = result.stdout + result.stderr;
    expect(text).toMatch(/store postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/.*ECONNREFUSED|could not connect|refused/i);
    expect(text).not.toContain(TEST_PG_PASSWORD);
  });

  it('a store that is not a postgres:// URL is refused, naming the setting, its source and the accepted form', async () => {
    const home = await emptyHome('mysql://root:hunter2@db/mxx');
    const result = await runCli(['server', '--port', '0'], { env: home.env });
    expect(result.code).not.toBe(0);
    const text = result.stdout + result.stderr;
    expect(text).toContain('store (env MXX_STORE)');
    expect(text).toContain('postgres://');
    expect(text).not.toContain('hunter2');
  });
});
