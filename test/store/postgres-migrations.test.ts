import { afterEach, describe, expect, it } from 'vitest';
import { createPostgresPool, type PostgresPool } from '../../src/store/postgres/connection.js';
import { isStoreError } from '../../src/store/postgres/errors.js';
import { MIGRATIONS, SCHEMA_VERSION, migrate } from '../../src/store/postgres/migrations.js';
import { usePostgres } from '../_postgres.js';

const pg = usePostgres();
const pools: PostgresPool[] = [];
const open = (url = pg.url) => {
  const pool = createPostgresPool({ url, max: 2 });
  pools.push(pool);
  return pool;
};
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.end()));
});

describe('migrations', () => {
  it('starts a real PostgreSQL per file', () => {
    console.log(`embedded PostgreSQL initdb + start: ${pg.startMs.toFixed(0)} ms`);
    expect(pg.startMs).toBeGreaterThan(0);
  });

  it('three concurrent migrators on an empty database all succeed and exactly one applies', async () => {
    const results = await Promise.all([open(), open(), open()].map((db) => migrate(db)));
    expect(results.map((r) => r.version)).toEqual([SCHEMA_VERSION, SCHEMA_VERSION, SCHEMA_VERSION]);
    const applied = results.map((r) => r.applied);
    expect(applied.filter((a) => a.length > 0)).toEqual([MIGRATIONS.map((m) => m.version)]);
    const { rows } = await open().query<{ version: number }>('test', 'SELECT version FROM mxx_schema_migrations ORDER BY version');
    expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
    const tables = await open().query<{ name: string }>(
      'test',
      "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
    );
    expect(tables.rows.map((r) => r.name)).toEqual(['mxx_fires', 'mxx_jobs', 'mxx_nodes', 'mxx_run_output', 'mxx_runs', 'mxx_schema_migrations']);
  });

  it('a second start applies nothing', async () => {
    expect((await migrate(open())).applied).toEqual(MIGRATIONS.map((m) => m.version));
    expect(await migrate(open())).toEqual({ applied: [], version: SCHEMA_VERSION });
  });

  it('refuses a database whose schema is newer than this code, naming both versions', async () => {
    const db = open();
    await migrate(db);
    await db.query('test', "INSERT INTO mxx_schema_migrations (version, name) VALUES ($1, 'from the future')", [SCHEMA_VERSION + 41]);
    const error = await migrate(open()).catch((e: unknown) => e);
    expect(isStoreError(error, 'STORE_SCHEMA_TOO_NEW')).toBe(true);
    expect((error as Error).message).toContain(`version ${SCHEMA_VERSION + 41}`);
    expect((error as Error).message).toContain(`version ${SCHEMA_VERSION})`);
    expect((error as Error).message).not.toContain('Pa55word');
  });

  it('a failing migration leaves nothing behind (one transaction)', async () => {
    const broken = [...MIGRATIONS, { version: SCHEMA_VERSION + 1, name: 'broken', sql: 'CREATE TABLE mxx_half (x int); SELECT 1/0' }];
    const error = await migrate(open(), broken).catch((e: unknown) => e);
    expect(isStoreError(error, 'STORE_QUERY_FAILED')).toBe(true);
    const { rows } = await open().query('test', "SELECT 1 FROM information_schema.tables WHERE table_name IN ('mxx_half', 'mxx_nodes')");
    expect(rows).toEqual([]);
  });
});
