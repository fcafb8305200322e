/**
 * The throw-away PostgreSQL that the tests and the cluster bench start (bench/lib/embedded-pg.ts),
 * started from where a checkout may really sit. As root, PostgreSQL runs as the system user
 * `postgres`, which cannot enter a folder only root may (`mktemp -d`, /root): a checkout there
 * once failed every PostgreSQL test with `spawn …/initdb EACCES`. Here the binaries are put under
 * such a folder and the server must still start, answer and stop leaving no process behind. Run
 * as another user the folder is that user's own, and the same steps must work just as well.
 */
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { isPidAlive } from '../_proc.js';
import { LocalPostgres, platformNativeDir } from '../../bench/lib/embedded-pg.js';
import { freeLocalPort } from '../../bench/lib/free-port.js';

const closed = mkdtempSync(join(tmpdir(), 'mxx-pg-closed-'));
chmodSync(closed, 0o700);
afterAll(() => rmSync(closed, { recursive: true, force: true }));

async function selectOne(port: number, password: string): Promise<number> {
  const client = new pg.Client({ connectionString: `postgres://postgres:${password}@127.0.0.1:${port}/postgres` });
  await client.connect();
  try {
    return (await client.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one;
  } finally {
    await client.end();
  }
}

describe('a throw-away PostgreSQL', () => {
  it('starts from binaries inside a folder only its owner may enter, answers, and stops leaving no process', async () => {
    const nativeDir = join(closed, 'checkout', 'native');
    mkdirSync(join(closed, 'checkout'));
    cpSync(platformNativeDir(), nativeDir, { recursive: true, verbatimSymlinks: true });
    const dataParent = mkdtempSync(join(tmpdir(), 'mxx-pg-data-'));
    chmodSync(dataParent, 0o755);
    try {
      const port = await freeLocalPort();
      const server = new LocalPostgres({ dataDir: join(dataParent, 'data'), port, user: 'postgres', password: 'pw-1', nativeDir });
      await server.initialise();
      await server.start();
      const pid = server.pid;
      expect(pid).toBeGreaterThan(0);
      expect(await selectOne(port, 'pw-1')).toBe(1);
      await server.stop();
      expect(isPidAlive(pid!)).toBe(false);
      // The copy it ran from (as root) is readable by everyone and not writable by them.
      if (server.binDir !== join(nativeDir, 'bin')) expect(statSync(server.binDir).mode & 0o022).toBe(0);
    } finally {
      rmSync(dataParent, { recursive: true, force: true });
    }
  }, 60_000);

  it.runIf(process.getuid?.() === 0)('as root, says which folder the postgres user cannot enter when the data folder sits in one', async () => {
    const port = await freeLocalPort();
    const dataDir = join(closed, 'unreachable', 'data');
    const server = new LocalPostgres({ dataDir, port, user: 'postgres', password: 'pw-2' });
    await expect(server.initialise()).rejects.toThrow(
      new RegExp(`system user postgres, which cannot enter ${closed.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(mode 0700\\)`),
    );
    expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(false);
  });
});
