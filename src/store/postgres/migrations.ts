/**
 * Versioned schema changes, applied at start. Every starting node calls migrate(); one transaction
 * holds an advisory lock for its whole length, so concurrent starters queue behind it and then find
 * nothing left to do. A database migrated by a newer mxx is refused, naming both versions.
 */
import type pg from 'pg';
import type { PostgresPool } from './connection.js';
import { StoreError } from './errors.js';
import { SCHEMA_V1 } from './schema-v1.js';
import { SCHEMA_V2 } from './schema-v2.js';
import { SCHEMA_V3 } from './schema-v3.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** In order; append only — never edit a migration that has shipped. */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'nodes, jobs, fires, runs, run output', sql: SCHEMA_V1 },
  { version: 2, name: 'registry order, run recording order', sql: SCHEMA_V2 },
  { version: 3, name: 'run change order (one view from any server)', sql: SCHEMA_V3 },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

/** pg_advisory_xact_lock key: 'mxx' + 'mig' in ASCII, unlikely to collide with another application's. */
export const MIGRATION_LOCK_KEY = 0x6d7878_6d6967;

export interface MigrateResult {
  /** Versions this call applied (empty when another node already had). */
  applied: number[];
  /** The database's schema version afterwards. */
  version: number;
}

export async function migrate(db: PostgresPool, migrations: readonly Migration[] = MIGRATIONS): Promise<MigrateResult> {
  const latest = migrations[migrations.length - 1]?.version ?? 0;
  return db.transaction('could not migrate the schema', async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(`CREATE TABLE IF NOT EXISTS mxx_schema_migrations (
      version    integer PRIMARY KEY,
      name       text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const current = await currentVersion(client);
    if (current > latest) {
      throw new StoreError(
        'STORE_SCHEMA_TOO_NEW',
        `store ${db.options.redactedUrl}: the database's schema is version ${current}, newer than this mxx knows (version ${latest})`,
        { hint: 'upgrade mxx on this server to the version the other servers run', details: { database: current, code: latest } },
      );
    }
    const applied: number[] = [];
    for (const migration of migrations) {
      if (migration.version <= current) continue;
      await client.query(migration.sql);
      await client.query('INSERT INTO mxx_schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
      applied.push(migration.version);
    }
    return { applied, version: Math.max(current, latest) };
  });
}

async function currentVersion(client: pg.PoolClient): Promise<number> {
  const { rows } = await client.query<{ version: number | null }>('SELECT max(version) AS version FROM mxx_schema_migrations');
  return rows[0]?.version ?? 0;
}
