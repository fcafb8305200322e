/**
 * Moving in (SPEC §15): copies the registry and the run history of a files-store home (~/.mxx)
 * into a PostgreSQL store. The home is never written: its files are copied to a temporary folder
 * and read there by the files store's own loader (which may tidy what it reads). The database
 * side is one transaction: every job and run, or nothing. Run logs stay where they are.
 */
import { cp, copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { probePid } from '../../workers/kill-group.js';
import { MxxError } from '../errors.js';
import { isJobId } from '../job/id.js';
import type { Logger } from '../logger.js';
import { resolvePaths, type MxxPaths } from '../paths.js';
import { toIsoLocal, type RegistryEntry, type RunRecord } from '../records.js';
import { createFilesStore } from './files.js';
import { writeImport, type ImportWrite } from './import-write.js';
import { createPostgresPool } from './postgres/connection.js';
import { migrate } from './postgres/migrations.js';

export interface ImportOptions {
  /** The files-store home to read (`~` is expanded). @default MXX_HOME or ~/.mxx */
  from?: string;
  /** The PostgreSQL store: `postgres://user:password@host:5432/database`. */
  store: string;
  /** Overwrite jobs the database already has with other content. @default false (refuse, writing nothing) */
  replace?: boolean;
  /** node_id of the imported run rows. @default 'import' */
  nodeId?: string;
  /** @default 5000 */
  connectTimeoutMs?: number;
  /** For `from`'s default and `~`. @default process.env */
  env?: NodeJS.ProcessEnv;
}

export interface ImportResult {
  /** The home that was read (absolute). */
  from: string;
  /** The store, password masked. */
  store: string;
  /** The run logs, left in place. */
  logs: string;
  jobs: { imported: string[]; replaced: string[]; identical: string[] };
  /** `interrupted`: of the runs imported, those left running or queued, imported as interrupted. */
  runs: { imported: number; existing: number; interrupted: number };
  /** Jobs defined by job files: a server keeps them only while its jobs folder holds those files. */
  fileJobs: Array<{ jobId: string; file: string }>;
  /** What the files store's loader reported (skipped lines, damaged files). */
  warnings: string[];
}

const INTERRUPTED_ERROR = 'the server stopped while this run was in progress';

export function expandHome(path: string, env: NodeJS.ProcessEnv = process.env): string {
  const home = env.HOME ?? homedir();
  if (path === '~') return home;
  if (path.startsWith('~/')) return join(home, path.slice(2));
  return resolve(path);
}

export async function importFilesHome(options: ImportOptions): Promise<ImportResult> {
  const env = options.env ?? process.env;
  const from = options.from === undefined ? resolvePaths({}, env).home : expandHome(options.from, env);
  const source = resolvePaths({ home: from, jobsDir: join(from, 'jobs') }, {});
  await assertFilesHome(source);
  await assertNoLiveServer(source);
  const read = await readFilesHome(source);
  // A server that started while the files were copied may have changed them under us.
  await assertNoLiveServer(source);

  const db = createPostgresPool({ url: options.store, max: 1, ...(options.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: options.connectTimeoutMs }) });
  let written: ImportWrite;
  try {
    await db.query('could not connect', 'SELECT 1');
    await migrate(db);
    written = await writeImport(db, { entries: read.entries, runs: read.runs, replace: options.replace ?? false, nodeId: options.nodeId ?? 'import' });
  } finally {
    await db.end().catch(() => undefined);
  }
  if (written.kind === 'conflict') {
    throw new MxxError(
      'JOB_EXISTS',
      `${written.conflicts.length} job(s) of ${from} are already in ${db.options.redactedUrl} with other content (config or schedule): ${written.conflicts.join(', ')}; nothing was imported`,
      {
        hint: 'compare them (mxx info ID against a server on that store), then pass --replace to overwrite them with the definitions from the files home (their runs in the database are kept)',
        details: { conflicts: written.conflicts },
      },
    );
  }
  const interrupted = read.interrupted.filter((runId) => written.kind === 'done' && written.insertedRuns.has(runId)).length;
  return {
    from,
    store: db.options.redactedUrl,
    logs: source.logs,
    jobs: { imported: written.imported, replaced: written.replaced, identical: written.identical },
    runs: { imported: written.insertedRuns.size, existing: read.runs.length - written.insertedRuns.size, interrupted },
    fileJobs: read.entries.filter((e) => e.source === 'file' && e.file !== undefined).map((e) => ({ jobId: e.job_id, file: e.file! })),
    warnings: read.warnings,
  };
}

async function assertFilesHome(paths: MxxPaths): Promise<void> {
  const found = await stat(paths.server).catch(() => undefined);
  if (found?.isDirectory()) return;
  const home = await stat(paths.home).catch(() => undefined);
  throw new MxxError(
    'INVALID_REQUEST',
    home ? `${paths.home} holds no mxx files store (no folder ${paths.server})` : `${paths.home}: no such folder`,
    { hint: 'give the home of the server that used the files store: --from ~/.mxx (or its MXX_HOME)' },
  );
}

async function assertNoLiveServer(paths: MxxPaths): Promise<void> {
  const file = join(paths.server, 'server.pid');
  const text = await readFile(file, 'utf8').catch(() => undefined);
  const holder = Number(text?.trim());
  // Our own pid counts too: a supervisor in this process may be writing the home.
  if (text === undefined || !Number.isInteger(holder) || holder <= 0 || probePid(holder) === 'gone') return;
  throw new MxxError('INVALID_REQUEST', `a mxx server (pid ${holder}) is using ${paths.home}: its registry and history may change while they are read`, {
    hint: 'stop it first (mxx shutdown), then import; start it again on the new store afterwards',
  });
}

interface ReadHome {
  /** In registry order. */
  entries: RegistryEntry[];
  /** Oldest first within each job. */
  runs: RunRecord[];
  /** Run ids imported as interrupted. */
  interrupted: string[];
  warnings: string[];
}

/** Loads a copy of the home's registry and history with the files store's own code. */
async function readFilesHome(source: MxxPaths): Promise<ReadHome> {
  const dir = await mkdtemp(join(tmpdir(), 'mxx-import-'));
  try {
    const copy = resolvePaths({ home: dir, jobsDir: join(dir, 'jobs') }, {});
    await mkdir(copy.server, { recursive: true, mode: 0o700 });
    await copyIfThere(() => copyFile(source.registry, copy.registry));
    await copyIfThere(() => copyFile(source.registryJournal, copy.registryJournal));
    await copyIfThere(() => cp(source.runs, copy.runs, { recursive: true }));
    const warnings: string[] = [];
    const note = (message: string): void => void warnings.push(message.split(copy.server).join(source.server));
    const damaged: string[] = [];
    const error = (message: string): void => {
      // "registry <copy> is corrupt (<reason>); moved it to …": only the reason is about the home.
      if (message.includes(copy.registry)) damaged.push(/is corrupt \((.*)\); moved/.exec(message)?.[1] ?? 'it is damaged');
      else note(message);
    };
    const logger: Logger = { level: 'warn', debug: () => undefined, info: () => undefined, warn: note, error };
    const store = createFilesStore({ paths: copy, logger });
    await store.registry.load();
    if (damaged.length > 0) {
      await store.close();
      // The loader would start with an empty registry: importing that would leave out every job.
      throw new MxxError('INVALID_REQUEST', `cannot import ${source.registry}: it is corrupt (${damaged.join('; ')}); nothing was imported`, {
        hint: `repair ${source.registry} (or move it away to import the history only), then run the import again`,
      });
    }
    const entries = store.registry.list();
    const keepOf = new Map(entries.map((e) => [e.job_id, (e.config.policy as { history?: unknown } | undefined)?.history]));
    await store.history.load({ keep: (id) => (typeof keepOf.get(id) === 'number' ? (keepOf.get(id) as number) : undefined) });
    const names = await readdir(copy.runs).catch(() => [] as string[]);
    const ids = new Set([...entries.map((e) => e.job_id), ...names.filter((n) => n.endsWith('.jsonl')).map((n) => n.slice(0, -'.jsonl'.length)).filter(isJobId)]);
    const now = toIsoLocal(Date.now());
    const runs: RunRecord[] = [];
    const interrupted: string[] = [];
    for (const id of ids) {
      for (const rec of store.history.list(id).reverse()) {
        if (rec.status !== 'running' && rec.status !== 'queued') {
          runs.push(rec);
          continue;
        }
        // As the files server would mark it at its next start: no process of it is left.
        runs.push({ ...rec, status: 'interrupted', ended_at: now, error: INTERRUPTED_ERROR });
        interrupted.push(rec.run_id);
      }
    }
    await store.close();
    return { entries, runs, interrupted, warnings };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function copyIfThere(copy: () => Promise<void>): Promise<void> {
  try {
    await copy();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new MxxError('INTERNAL', `could not read the files home: ${(error as Error).message}`, { cause: error, hint: 'check the files and their permissions' });
    }
  }
}
