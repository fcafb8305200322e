/**
 * `mxx store import` through the real CLI binary: a real files-store server makes the home, the
 * import copies it into a real PostgreSQL, and a real server started on that store with an EMPTY
 * home lists the job and its runs as the files server did. The password is never printed.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../src/store/postgres/store.js';
import { createTempHome, liveChildren, runCli, startServerProcess, type TempHome } from '../_cli.js';
import { TEST_PG_PASSWORD, usePostgres } from '../_postgres.js';
import { waitFor } from '../_server.js';

const pg = usePostgres();
const homes: TempHome[] = [];

afterAll(async () => {
  for (const home of homes) await home.cleanup();
  expect(liveChildren()).toBe(0);
});

async function tempHome(): Promise<TempHome> {
  const home = await createTempHome();
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

const mxxHome = (home: TempHome): string => home.env.MXX_HOME as string;

/** A home whose files-store server registered `kept`, ran it twice and stopped; resolves its runs as that server listed them. */
async function homeWithRuns(): Promise<{ home: TempHome; runs: any[]; job: any }> {
  const home = await tempHome();
  const server = await startServerProcess(home);
  try {
    const registered = await call(server.url, '/jobs', {
      method: 'POST',
      json: { job_id: 'kept', config: { os: { cmd: 'echo moved-in' } }, replace_existing: true },
    });
    expect([200, 201]).toContain(registered.status);
    for (let i = 0; i < 2; i++) {
      const triggered = await call(server.url, '/jobs/kept/trigger', { method: 'POST' });
      await waitFor(async () => ['completed', 'failed'].includes((await call(server.url, `/runs/${triggered.body.run_id}`)).body?.status), 15_000, 'the run to end');
    }
    const runs = (await call(server.url, '/jobs/kept/runs')).body.runs;
    expect(runs).toHaveLength(2);
    const job = (await call(server.url, '/jobs/kept')).body;
    return { home, runs, job };
  } finally {
    expect(await server.stop(), server.output()).toBe(0);
  }
}

describe('mxx store import', () => {
  it('copies a files home into PostgreSQL; a server on that store with an empty home lists the job and its runs; twice is harmless', async () => {
    const { home, runs, job } = await homeWithRuns();
    const env = { ...home.env, MXX_STORE: pg.url };

    const first = await runCli(['store', 'import', '--from', mxxHome(home)], { env });
    expect(first.code, first.stderr).toBe(0);
    const said = first.stdout + first.stderr;
    expect(first.stdout).toContain('1 job imported');
    expect(first.stdout).toContain('2 runs imported');
    expect(first.stdout).toContain(mxxHome(home));
    expect(first.stdout).toContain('postgres://postgres:***@');
    expect(first.stdout).toContain(join(mxxHome(home), 'server', 'logs'));
    expect(said).not.toContain(TEST_PG_PASSWORD);

    const second = await runCli(['store', 'import', '--from', mxxHome(home)], { env });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('0 jobs imported (1 skipped as identical)');
    expect(second.stdout).toContain('0 runs imported (2 already there)');

    const empty = await tempHome();
    empty.env.MXX_STORE = pg.url;
    const server = await startServerProcess(empty);
    try {
      const seen = (): string => server.output();
      const listed = (await call(server.url, '/jobs')).body;
      expect(JSON.stringify(listed), seen()).toContain('"kept"');
      const got = await call(server.url, '/jobs/kept');
      expect(got.status, seen()).toBe(200);
      expect(got.body.execution_count).toBe(job.execution_count);
      expect(job.execution_count).toBe(2);
      expect((await call(server.url, '/jobs/kept/runs')).body.runs, seen()).toEqual(runs);
      const run = (await call(server.url, `/runs/${runs[0].run_id}`)).body;
      expect(run).toMatchObject({ job_id: 'kept', status: 'completed', exit_code: 0 });
      expect(run.output_tail).toContain('moved-in');
      // No log file in this home: the answer is the output tail kept in the record.
      const tail = await fetch(`${server.url}/api/scheduler/runs/${runs[0].run_id}/log`);
      expect(tail.headers.get('x-mxx-log-source')).toBe('tail');
    } finally {
      expect(await server.stop()).toBe(0);
    }

    // The logs stayed in the old home: a server on the store with that home serves the file.
    const same = await startServerProcess({ ...home, env: { ...home.env, MXX_STORE: pg.url } });
    try {
      const log = await fetch(`${same.url}/api/scheduler/runs/${runs[0].run_id}/log`);
      expect(log.status, same.output()).toBe(200);
      expect(log.headers.get('x-mxx-log-source')).toBe('file');
      expect(await log.text()).toContain('moved-in');
    } finally {
      expect(await same.stop()).toBe(0);
    }
  });

  it('refuses while a server is using the home, naming the home; nothing is written', async () => {
    const home = await tempHome();
    const server = await startServerProcess(home);
    try {
      const result = await runCli(['store', 'import', '--from', mxxHome(home), '--store', pg.url], { env: home.env });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(mxxHome(home));
      expect(result.stderr).toMatch(/server \(pid \d+\) is using/);
      expect(result.stdout + result.stderr).not.toContain(TEST_PG_PASSWORD);
    } finally {
      expect(await server.stop()).toBe(0);
    }
    const store = await openPostgresStore({ url: pg.url });
    await store.registry.load();
    expect(store.registry.size).toBe(0);
    await store.close();
  });

  it('a job already in the database with other content: exit 1 naming it and --replace; --replace overwrites it', async () => {
    const { home } = await homeWithRuns();
    const store = await openPostgresStore({ url: pg.url });
    await store.registry.load();
    await store.registry.set({
      job_id: 'kept',
      config: { os: { cmd: 'echo another' } },
      schedule: null,
      source: 'api',
      registered_at: '2026-01-02T03:04:05.000+01:00',
      last_triggered: null,
      execution_count: 0,
      paused: false,
    });
    await store.close();

    const refused = await runCli(['store', 'import', '--from', mxxHome(home), '--store', pg.url], { env: home.env });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('kept');
    expect(refused.stderr).toContain('nothing was imported');
    expect(refused.stderr).toContain('--replace');

    const replaced = await runCli(['store', 'import', '--from', mxxHome(home), '--store', pg.url, '--replace', '--json'], { env: home.env });
    expect(replaced.code, replaced.stderr).toBe(0);
    const body = JSON.parse(replaced.stdout);
    expect(body.jobs).toEqual({ imported: [], replaced: ['kept'], identical: [] });
    expect(body.runs).toMatchObject({ imported: 2, existing: 0 });
    expect(replaced.stdout).not.toContain(TEST_PG_PASSWORD);
  });

  it('the store comes from --store, then MXX_STORE, then config.toml; none, or not postgres://, is exit 2 naming where it came from', async () => {
    const home = await tempHome();
    const from = ['store', 'import', '--from', mxxHome(home)];
    await mkdir(join(mxxHome(home), 'server'), { recursive: true });

    const none = await runCli(from, { env: home.env });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--store/);
    expect(none.stderr).toMatch(/MXX_STORE/);

    const wrong = await runCli(from, { env: { ...home.env, MXX_STORE: 'mysql://root:hunter2@db/x' } });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('env MXX_STORE');
    expect(wrong.stderr).not.toContain('hunter2');

    const flagWins = await runCli([...from, '--store', pg.url], { env: { ...home.env, MXX_STORE: 'mysql://root:hunter2@db/x' } });
    expect(flagWins.code, flagWins.stderr).toBe(0);
    expect(flagWins.stdout).toContain('0 jobs imported');

    await home.write('.mxx/config.toml', `store = ${JSON.stringify(pg.url)}\n`);
    const fromFile = await runCli(from, { env: home.env });
    expect(fromFile.code, fromFile.stderr).toBe(0);
    expect(fromFile.stdout).toContain('postgres://postgres:***@');
    expect(fromFile.stdout + fromFile.stderr).not.toContain(TEST_PG_PASSWORD);
  });

  it('help says what is copied, what is not (run logs), and when it refuses', async () => {
    const help = await runCli(['help', 'store', 'import']);
    expect(help.code, help.stderr).toBe(0);
    const text = help.stdout.replace(/\s+/g, ' ');
    for (const words of ['--replace', '--from', '--store', 'logs', 'not copied', 'interrupted', 'never changed', 'skipped']) expect(text).toContain(words);
  });
});
