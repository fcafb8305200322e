import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { listenChanges, notifyChange, type Change, type ChangeListener } from '../../src/store/postgres/changes.js';
import { measureSkew } from '../../src/store/postgres/clock.js';
import { createPostgresPool, type PostgresPool } from '../../src/store/postgres/connection.js';
import { isStoreError, type StoreError } from '../../src/store/postgres/errors.js';
import { redactUrl } from '../../src/store/postgres/redact.js';
import { TEST_PG_PASSWORD, usePostgres } from '../_postgres.js';
import { waitFor } from '../_server.js';

const pg = usePostgres();
const pools: PostgresPool[] = [];
const listeners: ChangeListener[] = [];
const open = (url = pg.url) => {
  const pool = createPostgresPool({ url, max: 2, connectTimeoutMs: 3000 });
  pools.push(pool);
  return pool;
};
afterEach(async () => {
  await Promise.all(listeners.splice(0).map((l) => l.close()));
  await Promise.all(pools.splice(0).map((pool) => pool.end()));
});

/** Every way an error could reach a log or a response. */
const allTextOf = (error: unknown) => [String(error), inspect(error, { depth: 5 }), JSON.stringify(error), (error as Error).stack ?? ''].join('\n');

describe('connection', () => {
  it('a wrong password fails with STORE_AUTH_FAILED and no password anywhere in the error', async () => {
    const secret = 'Wr0ng-S3cret-%21pw';
    const url = pg.url.replace(encodeURIComponent(TEST_PG_PASSWORD), secret);
    const error = await open(url).query('connect', 'SELECT 1').catch((e: unknown) => e);
    expect(isStoreError(error, 'STORE_AUTH_FAILED'), String(error)).toBe(true);
    expect((error as StoreError).code).toBe('CONFIG_INVALID');
    expect((error as Error).message).toContain('password authentication failed');
    expect((error as Error).message).toContain('postgres://postgres:***@127.0.0.1');
    const text = allTextOf(error);
    for (const form of [secret, decodeURIComponent(secret), TEST_PG_PASSWORD]) expect(text).not.toContain(form);
  });

  it('an unreachable server is STORE_UNREACHABLE, redacted', async () => {
    const url = `postgres://mxx:Unreach-pw@127.0.0.1:1/mxx`;
    const error = await open(url).query('connect', 'SELECT 1').catch((e: unknown) => e);
    expect(isStoreError(error, 'STORE_UNREACHABLE'), String(error)).toBe(true);
    expect((error as StoreError).code).toBe('STORAGE_UNAVAILABLE');
    expect(allTextOf(error)).not.toContain('Unreach-pw');
  });

  it('a missing database and a bad URL have their own codes, redacted', async () => {
    const missing = await open(pg.url.replace(/\/[^/]+$/, '/no_such_db')).query('connect', 'SELECT 1').catch((e: unknown) => e);
    expect(isStoreError(missing, 'STORE_DATABASE_MISSING'), String(missing)).toBe(true);
    expect(allTextOf(missing)).not.toContain(TEST_PG_PASSWORD);
    let bad: unknown;
    try {
      createPostgresPool({ url: 'mysql://root:Bad-pw@db/x' });
    } catch (error) {
      bad = error;
    }
    expect(isStoreError(bad, 'STORE_URL_INVALID'), String(bad)).toBe(true);
    expect(allTextOf(bad)).not.toContain('Bad-pw');
    expect(redactUrl('postgres://u:p%40ss@h:5432/d?sslmode=require')).toBe('postgres://u:***@h:5432/d?sslmode=require');
    expect(redactUrl('postgres://u:p@ss@h/d not a url')).not.toContain('p@ss');
  });

  it('measureSkew: the database runs on this machine, so the offset is within a few ms', async () => {
    const skew = await measureSkew(open(), 5);
    console.log(`skew ${skew.offsetMs.toFixed(3)} ms, rtt ${skew.rttMs.toFixed(3)} ms`);
    expect(skew.samples).toBe(5);
    expect(skew.rttMs).toBeGreaterThan(0);
    // Same machine, same clock: only the measurement's own error (≤ rtt/2) plus rounding remains.
    expect(Math.abs(skew.offsetMs)).toBeLessThan(Math.max(5, skew.rttMs));
  });
});

describe('changes (LISTEN/NOTIFY)', () => {
  it('delivers a change to another connection, and again after the database restarted', async () => {
    const received: Change[] = [];
    const errors: StoreError[] = [];
    let reconnected = 0;
    const listener = listenChanges(open(), {
      onChange: (change) => received.push(change),
      onReconnect: () => (reconnected += 1),
      onError: (error) => errors.push(error),
      initialBackoffMs: 50,
      maxBackoffMs: 500,
    });
    listeners.push(listener);
    await listener.ready;
    const sender = open();
    await notifyChange(sender, 'job', 'backup', 'node-a');
    await waitFor(() => received.length === 1, 5000, 'the first change');
    expect(received).toEqual([{ kind: 'job', id: 'backup', origin: 'node-a' }]);

    await pg.restart();
    await waitFor(() => reconnected === 1, 10_000, 'the listener to reconnect');
    expect(listener.reconnects).toBe(1);
    expect(listener.connected).toBe(true);
    expect(errors.some((e) => e.storeCode === 'STORE_UNREACHABLE')).toBe(true);
    for (const error of errors) expect(allTextOf(error)).not.toContain(TEST_PG_PASSWORD);

    // The sender's pooled connection died with the server; the pool drops it and connects anew.
    await waitFor(() => notifyChange(sender, 'run', 'r-2').then(() => true, () => false), 5000, 'the sender to reach the database');
    await waitFor(() => received.length === 2, 5000, 'the change after the restart');
    expect(received[1]).toEqual({ kind: 'run', id: 'r-2' });
  });

  it('a notice sent inside a transaction arrives only when it commits', async () => {
    const received: Change[] = [];
    const listener = listenChanges(open(), { onChange: (change) => received.push(change) });
    listeners.push(listener);
    await listener.ready;
    const db = open();
    await db.transaction('test', async (client) => {
      await notifyChange(client, 'job', 'rolled-back');
      throw new Error('abort');
    }).catch(() => {});
    await db.transaction('test', async (client) => notifyChange(client, 'job', 'committed'));
    await waitFor(() => received.length >= 1, 5000, 'a change');
    // The rolled-back notice was sent first, on the pool's same idle connection: delivered, it would be here too.
    expect(received).toEqual([{ kind: 'job', id: 'committed' }]);
  });
});
