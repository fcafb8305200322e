/**
 * The PostgreSQL store when the database cannot be reached: a change is refused with a typed store
 * error and memory is left as it was; the history keeps its records in memory and catches up.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { isStoreError } from '../../src/store/postgres/errors.js';
import { openPostgresStore } from '../../src/store/postgres/store.js';
import type { Store } from '../../src/store/index.js';
import { TEST_PG_PASSWORD, usePostgres } from '../_postgres.js';
import { entry, run } from './_store-contract.js';
import { startTcpProxy, type TcpProxy } from './_tcp-proxy.js';

const pg = usePostgres();
let proxy: TcpProxy | undefined;
let store: Store | undefined;

afterEach(async () => {
  await store?.close();
  await proxy?.close();
  store = proxy = undefined;
});

async function openThroughProxy(): Promise<Store> {
  proxy = await startTcpProxy(pg.port);
  store = await openPostgresStore({ url: proxy.through(pg.url), connectTimeoutMs: 1000, retryMs: 100 });
  await store.registry.load();
  await store.history.load();
  return store;
}

describe('postgres store, database unreachable', () => {
  it('a registry change rejects with STORE_UNREACHABLE (no password in it) and the cache is unchanged; it works again once the database is back', async () => {
    const { registry } = await openThroughProxy();
    await registry.set(entry('a'));
    await proxy!.cut();
    const error = await registry.update('a', { paused: true }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isStoreError(error, 'STORE_UNREACHABLE')).toBe(true);
    expect((error as Error).message).toContain('job a');
    expect(JSON.stringify(error) + String((error as Error).stack)).not.toContain(TEST_PG_PASSWORD);
    expect(registry.get('a')?.paused).toBe(false);
    await expect(registry.set(entry('b'))).rejects.toSatisfy((e: unknown) => isStoreError(e, 'STORE_UNREACHABLE'));
    await expect(registry.delete('a')).rejects.toSatisfy((e: unknown) => isStoreError(e, 'STORE_UNREACHABLE'));
    expect(registry.list().map((e) => e.job_id)).toEqual(['a']);
    expect(registry.writeErrors).toBe(3);
    expect(store!.status()).toMatchObject({ kind: 'postgres', connected: false });

    await proxy!.restore();
    await registry.update('a', { paused: true });
    expect(registry.get('a')?.paused).toBe(true);
    expect(store!.status().connected).toBe(true);
    const again = await openPostgresStore({ url: pg.url });
    await again.registry.load();
    expect(again.registry.list()).toEqual(registry.list());
    await again.close();
  });

  it('after a database restart the pool reconnects and changes are saved', async () => {
    const { registry } = await openThroughProxy();
    await registry.set(entry('a'));
    await pg.restart();
    await registry.set(entry('b'));
    expect(registry.list().map((e) => e.job_id)).toEqual(['a', 'b']);
  });

  it('history: records stay visible, flush rejects while the database is away, and the records are written once it is back', async () => {
    const { history } = await openThroughProxy();
    await proxy!.cut();
    history.record(run('a', 1));
    history.record(run('a', 2, 'running'));
    expect(history.count('a')).toBe(2);
    await expect(history.flush()).rejects.toSatisfy((e: unknown) => isStoreError(e, 'STORE_UNREACHABLE'));
    expect(history.writeErrors).toBeGreaterThan(0);
    await proxy!.restore();
    await history.flush();
    const again = await openPostgresStore({ url: pg.url });
    await again.history.load();
    expect(again.history.list('a')).toEqual(history.list('a'));
    await again.close();
  });

  it('opening the store with the database away rejects with a redacted STORE_UNREACHABLE', async () => {
    proxy = await startTcpProxy(pg.port);
    await proxy.cut();
    const error = await openPostgresStore({ url: proxy.through(pg.url), connectTimeoutMs: 1000 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isStoreError(error, 'STORE_UNREACHABLE')).toBe(true);
    expect((error as Error).message).toContain('postgres://postgres:***@');
    expect(JSON.stringify(error) + String((error as Error).stack)).not.toContain(TEST_PG_PASSWORD);
  });
});
