/** The PostgreSQL store (mxx_jobs, mxx_runs) against the same contract as the files store. */
import pgClient from 'pg';
import { describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../src/store/postgres/store.js';
import { usePostgres } from '../_postgres.js';
import { run, storeContract } from './_store-contract.js';

const pg = usePostgres();

describe('postgres store contract', () => {
  storeContract(() => openPostgresStore({ url: pg.url }));
});

describe('postgres store: storage', () => {
  it('deletes runs pruned beyond keep from the database (a later load with a larger keep does not bring them back)', async () => {
    const store = await openPostgresStore({ url: pg.url });
    await store.history.load();
    for (let n = 1; n <= 6; n++) store.history.record(run('a', n), 3);
    await store.history.flush();
    const { rows } = await storedRunIds(pg.url);
    expect(rows).toEqual([6, 5, 4].map((n) => run('a', n).run_id).sort());
    await store.close();
    const again = await openPostgresStore({ url: pg.url });
    await again.history.load({ keep: () => 10 });
    expect(again.history.count('a')).toBe(3);
    await again.close();
  });
});

async function storedRunIds(url: string): Promise<{ rows: string[] }> {
  const client = new pgClient.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ run_id: string }>('SELECT run_id FROM mxx_runs ORDER BY run_id');
    return { rows: rows.map((r) => r.run_id) };
  } finally {
    await client.end();
  }
}
