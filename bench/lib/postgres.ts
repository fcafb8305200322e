/**
 * A throw-away PostgreSQL for the cluster scenario (embedded-pg.ts: the binaries ship in an npm
 * package). One per scenario, one database per phase. As root, initdb and postgres run as the
 * system user `postgres`, so the data folder's parent is world-traversable. The postmaster is tracked (procs.ts), so the bench's last-resort kill ends it
 * too; its folder is a temporary dir (home.ts), removed with the others.
 */
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { LocalPostgres } from './embedded-pg.js';
import { freeLocalPort } from './free-port.js';
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

export async function startBenchPostgres(label: string): Promise<BenchPostgres> {
  const started = performance.now();
  const dir = makeTempDir(`pg-${label}`);
  chmodSync(dir, 0o755);
  const port = await freeLocalPort();
  let logText = '';
  const server = new LocalPostgres({
    dataDir: join(dir, 'data'),
    port,
    user: USER,
    password: PASSWORD,
    // 3 servers' pools need connections.
    extraFlags: ['-c', 'max_connections=200'],
    onLog: (message) => {
      logText = (logText + message).slice(-50_000);
    },
  });
  // LocalPostgres.stop() is a no-op when nothing runs, and may be called twice.
  const stop = async (): Promise<void> => {
    await server.stop();
    removeTempDir(dir);
  };
  try {
    await server.initialise();
    await server.start();
    // The postmaster: killAllTracked() ends it if the bench dies before stop().
    if (server.process) track(server.process);
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
