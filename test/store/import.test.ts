/**
 * importFilesHome (src/store/import.ts): a files home written by the real files store, copied into
 * a real PostgreSQL, then read back by the PostgreSQL store exactly as a server on it would.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { isMxxError } from '../../src/errors.js';
import { resolvePaths } from '../../src/paths.js';
import type { RegistryEntry, RunRecord } from '../../src/records.js';
import { createFilesStore } from '../../src/store/files.js';
import { importFilesHome } from '../../src/store/import.js';
import { openPostgresStore } from '../../src/store/postgres/store.js';
import { TEST_PG_PASSWORD, usePostgres } from '../_postgres.js';
import { entry, run } from './_store-contract.js';

const db = usePostgres();
const dirs: string[] = [];

afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

interface Home {
  home: string;
  entries: RegistryEntry[];
  runs: RunRecord[];
}

/** A home as a files-store server leaves it: registry.json plus journal, one history file per job. */
async function filesHome(entries: RegistryEntry[], runs: RunRecord[], { compact = false } = {}): Promise<Home> {
  const home = await mkdtemp(join(tmpdir(), 'mxx-import-'));
  dirs.push(home);
  const store = createFilesStore({ paths: resolvePaths({ home }, {}) });
  await store.registry.load();
  await store.history.load();
  for (const e of entries) await store.registry.set(e);
  for (const r of runs) store.history.record(r);
  await store.registry.flush();
  if (compact) await store.registry.compact();
  await store.history.flush();
  await store.close();
  return { home, entries, runs };
}

/** Every file under `dir` with its sha256, to show the import changed nothing. */
async function fingerprint(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of await readdir(dir, { recursive: true })) {
    const path = join(dir, name);
    if ((await stat(path)).isFile()) out[name] = `${createHash('sha256').update(await readFile(path)).digest('hex')} ${(await stat(path)).mtimeMs}`;
  }
  return out;
}

/** What a server on the store sees when it starts. */
async function loadPostgres(url: string): Promise<{ jobs: RegistryEntry[]; runs: (id: string) => RunRecord[]; get: (runId: string) => RunRecord | undefined }> {
  const store = await openPostgresStore({ url });
  await store.registry.load();
  await store.history.load();
  const jobs = store.registry.list();
  const byJob = new Map<string, RunRecord[]>();
  for (const job of new Set([...jobs.map((j) => j.job_id), 'gone'])) byJob.set(job, store.history.list(job));
  const all = new Map<string, RunRecord>();
  for (const list of byJob.values()) for (const r of list) all.set(r.run_id, r);
  await store.close();
  return { jobs, runs: (id) => byJob.get(id) ?? [], get: (runId) => all.get(runId) };
}

async function rowCount(url: string, table: 'mxx_jobs' | 'mxx_runs'): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    // Before the first import migrated the database, there is no table: nothing was written.
    const { rows: exists } = await client.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [table]);
    if (exists[0]?.t === null) return 0;
    const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
    return Number(rows[0]!.n);
  } finally {
    await client.end();
  }
}

function sample(): { entries: RegistryEntry[]; runs: RunRecord[] } {
  const entries = [
    entry('backup', { execution_count: 3, last_triggered: '2026-01-03T00:00:00.000+01:00', paused: true }),
    entry('report', { schedule: null, config: { command: { run: 'echo report' }, policy: { history: 2 } } }),
    entry('from-file', { source: 'file', file: '/somewhere/jobs/from-file.toml' }),
  ];
  const runs = [run('backup', 1), run('backup', 2, 'failed', { exit_code: 3 }), run('backup', 3), ...[1, 2, 3, 4].map((n) => run('report', 10 + n)), run('gone', 20)];
  return { entries, runs };
}

describe('importFilesHome', () => {
  it('copies every registry entry and every kept run; the PostgreSQL store loads them as the files store does; the home is untouched', async () => {
    const { entries, runs } = sample();
    const home = await filesHome(entries, runs);
    const before = await fingerprint(home.home);
    expect(Object.keys(before)).toContain(join('server', 'registry.journal'));

    const result = await importFilesHome({ from: home.home, store: db.url });

    expect(result.jobs).toEqual({ imported: ['backup', 'report', 'from-file'], replaced: [], identical: [] });
    // report keeps 2 (policy.history), as the files store serves it; backup 3; the run of a job no longer registered 1.
    expect(result.runs).toEqual({ imported: 6, existing: 0, interrupted: 0 });
    expect(result.from).toBe(home.home);
    expect(result.logs).toBe(join(home.home, 'server', 'logs'));
    expect(result.fileJobs).toEqual([{ jobId: 'from-file', file: '/somewhere/jobs/from-file.toml' }]);
    expect(result.store).toContain('postgres://postgres:***@');
    expect(JSON.stringify(result)).not.toContain(TEST_PG_PASSWORD);

    const files = createFilesStore({ paths: resolvePaths({ home: home.home }, {}) });
    await files.registry.load();
    await files.history.load({ keep: (id) => (id === 'report' ? 2 : undefined) });
    const loaded = await loadPostgres(db.url);
    expect(loaded.jobs).toEqual(files.registry.list());
    for (const id of ['backup', 'report', 'from-file', 'gone']) expect(loaded.runs(id), id).toEqual(files.history.list(id));
    expect(loaded.runs('report').map((r) => r.run_id)).toEqual([run('report', 14).run_id, run('report', 13).run_id]);
    expect(await fingerprint(home.home)).toEqual(before);
  });

  it('reads registry.json as well as the journal (a compacted registry)', async () => {
    const { entries, runs } = sample();
    const home = await filesHome(entries, runs.slice(0, 1), { compact: true });
    const result = await importFilesHome({ from: home.home, store: db.url });
    expect(result.jobs.imported).toEqual(['backup', 'report', 'from-file']);
    expect((await loadPostgres(db.url)).jobs.map((j) => j.job_id)).toEqual(['backup', 'report', 'from-file']);
  });

  it('a second import adds nothing: identical jobs are skipped, runs already there are counted, not written', async () => {
    const { entries, runs } = sample();
    const home = await filesHome(entries, runs);
    await importFilesHome({ from: home.home, store: db.url });
    const again = await importFilesHome({ from: home.home, store: db.url });
    expect(again.jobs).toEqual({ imported: [], replaced: [], identical: ['backup', 'report', 'from-file'] });
    expect(again.runs).toEqual({ imported: 0, existing: 6, interrupted: 0 });
    expect(await rowCount(db.url, 'mxx_jobs')).toBe(3);
    expect(await rowCount(db.url, 'mxx_runs')).toBe(6);
  });

  it('a job already in the database with other content: refused before anything is written, naming it; --replace overwrites it', async () => {
    const pgStore = await openPostgresStore({ url: db.url });
    await pgStore.registry.load();
    await pgStore.registry.set(entry('report', { config: { command: { run: 'echo other' } } }));
    // The same content, other counters: not a conflict.
    await pgStore.registry.set(entry('backup', { execution_count: 99 }));
    await pgStore.close();
    const { entries, runs } = sample();
    const home = await filesHome(entries, runs);

    const refused = await importFilesHome({ from: home.home, store: db.url }).catch((error: unknown) => error);
    expect(isMxxError(refused) && refused.code).toBe('JOB_EXISTS');
    expect((refused as Error).message).toContain('report');
    expect((refused as Error).message).not.toContain('backup');
    expect((refused as { hint?: string }).hint).toContain('--replace');
    expect(await rowCount(db.url, 'mxx_jobs')).toBe(2);
    expect(await rowCount(db.url, 'mxx_runs')).toBe(0);

    const replaced = await importFilesHome({ from: home.home, store: db.url, replace: true });
    expect(replaced.jobs).toEqual({ imported: ['from-file'], replaced: ['report'], identical: ['backup'] });
    const loaded = await loadPostgres(db.url);
    expect(loaded.jobs.find((j) => j.job_id === 'report')?.config).toEqual(entries[1]!.config);
    // Skipped as identical: the database's own entry stays.
    expect(loaded.jobs.find((j) => j.job_id === 'backup')?.execution_count).toBe(99);
    expect(loaded.runs('report')).toHaveLength(2);
  });

  it('a run left running or queued is imported as interrupted, as the files server would mark it at its next start', async () => {
    const home = await filesHome([entry('backup')], [run('backup', 1), run('backup', 2, 'running'), run('backup', 3, 'queued')]);
    const result = await importFilesHome({ from: home.home, store: db.url });
    expect(result.runs).toEqual({ imported: 3, existing: 0, interrupted: 2 });
    const loaded = await loadPostgres(db.url);
    for (const n of [2, 3]) {
      const rec = loaded.get(run('backup', n).run_id);
      expect(rec).toMatchObject({ status: 'interrupted', error: 'the server stopped while this run was in progress' });
      expect(Number.isFinite(Date.parse(rec?.ended_at ?? ''))).toBe(true);
    }
    expect(loaded.get(run('backup', 1).run_id)?.status).toBe('completed');
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const { rows } = await client.query<{ state: string; node_id: string; node_epoch: string }>('SELECT DISTINCT state, node_id, node_epoch FROM mxx_runs ORDER BY state');
    await client.end();
    expect(rows).toEqual([
      { state: 'completed', node_id: 'import', node_epoch: '0' },
      { state: 'interrupted', node_id: 'import', node_epoch: '0' },
    ]);
  });

  it('refuses a home a live server is using, naming the path; a stale server.pid is no obstacle', async () => {
    const home = await filesHome([entry('backup')], []);
    const pidFile = join(home.home, 'server', 'server.pid');
    await writeFile(pidFile, `${process.pid}\n`);
    const refused = await importFilesHome({ from: home.home, store: db.url }).catch((error: unknown) => error);
    expect(isMxxError(refused) && refused.code).toBe('INVALID_REQUEST');
    expect((refused as Error).message).toContain(home.home);
    expect((refused as Error).message).toContain(`pid ${process.pid}`);
    expect(await rowCount(db.url, 'mxx_jobs')).toBe(0);

    const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    await writeFile(pidFile, dead.stdout);
    const result = await importFilesHome({ from: home.home, store: db.url });
    expect(result.jobs.imported).toEqual(['backup']);
  });

  it('a folder that holds no mxx home is an error naming it; an empty home imports nothing', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'mxx-import-'));
    dirs.push(empty);
    const missing = join(empty, 'nope');
    const error = await importFilesHome({ from: missing, store: db.url }).catch((e: unknown) => e);
    expect(isMxxError(error) && error.code).toBe('INVALID_REQUEST');
    expect((error as Error).message).toContain(missing);
    await mkdir(join(empty, 'server'));
    const result = await importFilesHome({ from: empty, store: db.url });
    expect(result.jobs.imported).toEqual([]);
    expect(result.runs.imported).toBe(0);
  });

  it('a damaged registry.json is refused, naming it: importing it would leave out every job; the home is untouched', async () => {
    const home = await filesHome([entry('backup')], [run('backup', 1)], { compact: true });
    const file = join(home.home, 'server', 'registry.json');
    await writeFile(file, '{"version":1,"entries":[{"job_id":');
    const before = await fingerprint(home.home);
    const error = await importFilesHome({ from: home.home, store: db.url }).catch((e: unknown) => e);
    expect(isMxxError(error) && error.code).toBe('INVALID_REQUEST');
    expect((error as Error).message).toContain(file);
    expect((error as Error).message).toContain('nothing was imported');
    expect((error as Error).message).not.toContain('mxx-import-copy');
    expect(await fingerprint(home.home)).toEqual(before);
    expect(await rowCount(db.url, 'mxx_jobs')).toBe(0);
  });

  it('lines the loader skips (a torn last history line) are reported as warnings, naming the home\'s file; the rest is imported', async () => {
    const home = await filesHome([entry('backup')], [run('backup', 1), run('backup', 2)]);
    const history = join(home.home, 'server', 'runs', 'backup.jsonl');
    await writeFile(history, `${await readFile(history, 'utf8')}{"run_id":"torn`);
    const result = await importFilesHome({ from: home.home, store: db.url });
    expect(result.runs.imported).toBe(2);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toContain(history);
    expect(result.warnings[0]).toContain('torn last line');
  });

  it('an unreachable database: a store error without the password, the home untouched', async () => {
    const home = await filesHome([entry('backup')], [run('backup', 1)]);
    const before = await fingerprint(home.home);
    const url = new URL(db.url);
    url.port = '1';
    const error = await importFilesHome({ from: home.home, store: url.toString() }).catch((e: unknown) => e);
    expect(isMxxError(error) && error.code).toBe('STORAGE_UNAVAILABLE');
    expect((error as Error).message).not.toContain(TEST_PG_PASSWORD);
    expect(await fingerprint(home.home)).toEqual(before);
  });
});
