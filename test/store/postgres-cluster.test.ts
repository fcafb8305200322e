import { afterEach, describe, expect, it } from 'vitest';
import { createPostgresPool, type PostgresPool } from '../../src/store/postgres/connection.js';
import { isStoreError } from '../../src/store/postgres/errors.js';
import { claimRuns } from '../../src/store/postgres/claims.js';
import { claimFire } from '../../src/store/postgres/fires.js';
import { migrate } from '../../src/store/postgres/migrations.js';
import { heartbeat, joinCluster, reapLapsed, type NodeInfo } from '../../src/store/postgres/nodes.js';
import { startRun } from '../../src/store/postgres/runs.js';
import { usePostgres } from '../_postgres.js';
import { waitFor } from '../_server.js';

const pg = usePostgres();
const pools: PostgresPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.end()));
});

/** A migrated database and one pool per node (each node is its own server with its own connections). */
async function cluster(nodes: number): Promise<PostgresPool[]> {
  const opened = Array.from({ length: nodes }, () => createPostgresPool({ url: pg.url, max: 5 }));
  pools.push(...opened);
  await migrate(opened[0]!);
  return opened;
}

const info = (nodeId: string): NodeInfo => ({ nodeId, host: `${nodeId}.local`, url: `http://${nodeId}.local:7000`, version: '0.1.0', labels: ['x'] });
const LONG = 60_000;

/** Polls the database clock until the node's lease is over (no local-clock sleeps). */
async function lapsed(db: PostgresPool, nodeId: string): Promise<void> {
  await waitFor(async () => {
    const { rows } = await db.query<{ lapsed: boolean }>('test', 'SELECT lease_until < now() AS lapsed FROM mxx_nodes WHERE node_id = $1', [nodeId]);
    return rows[0]?.lapsed === true;
  }, 5000, `the lease of ${nodeId} to lapse`);
}

describe('membership', () => {
  it('a node gets epoch 1 on its first join and a new epoch every time it restarts', async () => {
    const [db] = await cluster(1);
    const first = await joinCluster(db!, info('a'), LONG);
    expect(first).toMatchObject({ nodeId: 'a', epoch: 1, interruptedRuns: [], fires: [] });
    expect(first.leaseUntil).toBeInstanceOf(Date);
    expect((await joinCluster(db!, info('a'), LONG)).epoch).toBe(2);
    const { rows } = await db!.query('test', 'SELECT host, url, version, labels, epoch FROM mxx_nodes');
    expect(rows).toEqual([{ host: 'a.local', url: 'http://a.local:7000', version: '0.1.0', labels: ['x'], epoch: '2' }]);
  });

  it('a heartbeat renews the lease of the current epoch and is refused for an older one', async () => {
    const [db] = await cluster(1);
    const old = await joinCluster(db!, info('a'), LONG);
    const renewed = await heartbeat(db!, 'a', old.epoch, LONG);
    expect(renewed.leaseUntil.getTime()).toBeGreaterThanOrEqual(old.leaseUntil.getTime());
    const now = await joinCluster(db!, info('a'), LONG);
    const error = await heartbeat(db!, 'a', old.epoch, LONG).catch((e: unknown) => e);
    expect(isStoreError(error, 'STORE_FENCED'), String(error)).toBe(true);
    expect((error as Error).message).toBe(`node a epoch 1: fenced: its epoch is now ${now.epoch} (it joined again)`);
    await heartbeat(db!, 'a', now.epoch, LONG);
  });

  it('a restarted node finds its leftover runs interrupted and its unfinished fires handed to its new epoch', async () => {
    const [db] = await cluster(1);
    const before = await joinCluster(db!, info('a'), LONG);
    const at = new Date('2026-01-01T00:00:00Z');
    expect(await claimFire(db!, 'backup', at, 'a', before.epoch, { runId: 'r1' })).toBe('won');
    expect(await startRun(db!, { runId: 'r1', jobId: 'backup', nodeId: 'a', epoch: before.epoch, scheduledAt: at })).toBe(true);
    const after = await joinCluster(db!, info('a'), LONG);
    expect(after.interruptedRuns).toEqual([{ runId: 'r1', jobId: 'backup', nodeId: 'a', scheduledAt: at }]);
    expect(after.fires).toEqual([{ jobId: 'backup', scheduledAt: at, fromNodeId: 'a', previousRunId: 'r1' }]);
    // The fire keeps its interrupted run (which may have run): a later takeover must not see a fire
    // that never ran and run it again (seen in the bench's chaos: two kills of one server 20 s apart).
    const { rows } = await db!.query('test', 'SELECT claimed_by, claimed_epoch, run_id FROM mxx_fires');
    expect(rows).toEqual([{ claimed_by: 'a', claimed_epoch: String(after.epoch), run_id: 'r1' }]);
    const again = await joinCluster(db!, info('a'), LONG);
    expect(again.interruptedRuns).toEqual([]);
    expect(again.fires).toEqual([]);
  });
});

describe('claims', () => {
  it('3 nodes × 300 fires claimed concurrently: each fire is won exactly once', async () => {
    const dbs = await cluster(3);
    const members = await Promise.all(dbs.map((db, i) => joinCluster(db, info(`n${i}`), LONG)));
    const base = Date.parse('2026-03-01T00:00:00Z');
    const fires = Array.from({ length: 300 }, (_, i) => ({ jobId: `job-${i % 7}`, at: new Date(base + i * 1000) }));
    // Each node walks the fires in its own order, all at once, so the claims really collide.
    const outcomes = await Promise.all(
      dbs.map((db, n) => {
        const order = n === 0 ? fires : n === 1 ? [...fires].reverse() : [...fires.slice(150), ...fires.slice(0, 150)];
        return Promise.all(order.map(async (fire) => ({ fire, node: `n${n}`, outcome: await claimFire(db, fire.jobId, fire.at, `n${n}`, members[n]!.epoch) })));
      }),
    );
    const all = outcomes.flat();
    expect(all.filter((o) => o.outcome === 'fenced')).toEqual([]);
    const winners = new Map<string, string[]>();
    for (const o of all.filter((x) => x.outcome === 'won')) {
      const key = `${o.fire.jobId}@${o.fire.at.toISOString()}`;
      winners.set(key, [...(winners.get(key) ?? []), o.node]);
    }
    expect(winners.size).toBe(300);
    expect([...winners.values()].filter((w) => w.length !== 1)).toEqual([]);
    expect(all.filter((o) => o.outcome === 'lost')).toHaveLength(600);
    const { rows } = await dbs[0]!.query<{ job_id: string; scheduled_at: Date; claimed_by: string }>('test', 'SELECT job_id, scheduled_at, claimed_by FROM mxx_fires');
    expect(rows).toHaveLength(300);
    for (const row of rows) expect(winners.get(`${row.job_id}@${row.scheduled_at.toISOString()}`)).toEqual([row.claimed_by]);
    console.log(`claims won per node: ${dbs.map((_, n) => all.filter((o) => o.node === `n${n}` && o.outcome === 'won').length).join(' / ')}`);
  });

  it('3 nodes each claiming the same 200 fires as batches at once (claimRuns): each fire won exactly once, a run row per win, another node\'s live run makes a won fire busy', async () => {
    const dbs = await cluster(3);
    const members = await Promise.all(dbs.map((db, i) => joinCluster(db, info(`b${i}`), LONG)));
    const base = Date.parse('2026-04-01T00:00:00Z');
    // job-busy runs on b2 already: whoever wins its fire gets `busy` (b2 itself counts it as local).
    expect(await startRun(dbs[2]!, { runId: 'busy-run', jobId: 'job-busy', nodeId: 'b2', epoch: members[2]!.epoch })).toBe(true);
    const claimsOf = (n: number) =>
      Array.from({ length: 200 }, (_, i) => ({
        jobId: i === 0 ? 'job-busy' : `job-${i % 9}`,
        scheduledAt: new Date(base + i * 1000),
        runId: `r-b${n}-${i}`,
        groupJobs: [],
        maxRuns: 1,
        localRuns: n === 2 && i === 0 ? 1 : 0,
        record: { n, i },
      }));
    const outcomes = await Promise.all(dbs.map((db, n) => claimRuns(db, `b${n}`, members[n]!.epoch, n === 1 ? claimsOf(n).reverse() : claimsOf(n))));
    const all = outcomes.flatMap((list, n) => list.map((outcome, k) => ({ node: n, claim: (n === 1 ? claimsOf(n).reverse() : claimsOf(n))[k]!, outcome })));
    expect(all.filter((o) => o.outcome.kind === 'fenced')).toEqual([]);
    const winners = new Map<number, number[]>();
    for (const o of all.filter((x) => x.outcome.kind !== 'lost')) winners.set(o.claim.scheduledAt.getTime(), [...(winners.get(o.claim.scheduledAt.getTime()) ?? []), o.node]);
    expect(winners.size).toBe(200);
    expect([...winners.values()].filter((w) => w.length !== 1)).toEqual([]);
    const busy = all.filter((o) => o.outcome.kind === 'busy');
    if (winners.get(base)![0] === 2) expect(busy).toEqual([]);
    else expect(busy.map((o) => o.claim.jobId)).toEqual(['job-busy']);
    const { rows } = await dbs[0]!.query<{ n: number }>('test', `SELECT count(*)::int AS n FROM mxx_runs WHERE run_id LIKE 'r-%'`);
    expect(rows[0]!.n).toBe(all.filter((o) => o.outcome.kind === 'won').length);
    // A batch of a fenced node: every claim fenced, nothing written.
    const fenced = await claimRuns(dbs[0]!, 'b0', members[0]!.epoch + 1, claimsOf(0).slice(0, 3).map((c) => ({ ...c, scheduledAt: new Date(base + 999_000), runId: `${c.runId}-f` })));
    expect(fenced.map((o) => o.kind)).toEqual(['fenced', 'fenced', 'fenced']);
  });

  it('a claim by an unknown node or a wrong epoch is fenced', async () => {
    const [db] = await cluster(1);
    const a = await joinCluster(db!, info('a'), LONG);
    const at = new Date('2026-01-01T00:00:00Z');
    expect(await claimFire(db!, 'j', at, 'ghost', 1)).toBe('fenced');
    expect(await claimFire(db!, 'j', at, 'a', a.epoch + 1)).toBe('fenced');
    expect(await claimFire(db!, 'j', at, 'a', a.epoch)).toBe('won');
    expect(await claimFire(db!, 'j', at, 'a', a.epoch)).toBe('lost');
  });
});

describe('lapsed leases', () => {
  it('a node whose lease lapsed cannot claim; after a reaper bumped its epoch its heartbeat is refused', async () => {
    const [dbA, dbB] = await cluster(2);
    const a = await joinCluster(dbA!, info('a'), 1);
    const b = await joinCluster(dbB!, info('b'), LONG);
    await lapsed(dbA!, 'a');
    const at = new Date('2026-05-01T12:00:00Z');
    expect(await claimFire(dbA!, 'j', at, 'a', a.epoch)).toBe('fenced');
    expect(await startRun(dbA!, { runId: 'ra', jobId: 'j', nodeId: 'a', epoch: a.epoch })).toBe(false);

    const reaped = await reapLapsed(dbB!, 'b', b.epoch);
    expect(reaped.nodes).toEqual([{ nodeId: 'a', oldEpoch: a.epoch, newEpoch: a.epoch + 1 }]);
    const error = await heartbeat(dbA!, 'a', a.epoch, LONG).catch((e: unknown) => e);
    expect(isStoreError(error, 'STORE_FENCED'), String(error)).toBe(true);
    expect((error as Error).message).toBe(`node a epoch ${a.epoch}: fenced: its epoch is now ${a.epoch + 1} (taken over by node b)`);
    expect(await claimFire(dbA!, 'j', at, 'a', a.epoch)).toBe('fenced');
    expect(await claimFire(dbB!, 'j', at, 'b', b.epoch)).toBe('won');
    // Taken over once: the next round finds nothing to do.
    expect((await reapLapsed(dbB!, 'b', b.epoch)).nodes).toEqual([]);
    // Coming back, the node joins with a newer epoch still, and claims again.
    const again = await joinCluster(dbA!, info('a'), LONG);
    expect(again.epoch).toBe(a.epoch + 2);
    expect(await claimFire(dbA!, 'j', new Date(at.getTime() + 1000), 'a', again.epoch)).toBe('won');
  });

  it('a lapsed lease that nobody took over is renewed by the next heartbeat (same epoch); once a reaper took it over it is refused', async () => {
    const [dbA, dbB] = await cluster(2);
    const a = await joinCluster(dbA!, info('a'), 1);
    await lapsed(dbA!, 'a');
    // Lapsed: no claim while so.
    expect(await claimFire(dbA!, 'j', new Date('2026-06-01T00:00:00Z'), 'a', a.epoch)).toBe('fenced');
    // Nothing of a went elsewhere (no reaper ran): the lease is simply renewed.
    const renewed = await heartbeat(dbA!, 'a', a.epoch, 1500);
    expect(renewed.leaseUntil.getTime()).toBeGreaterThan(Date.now() + 500);
    expect(await claimFire(dbA!, 'j', new Date('2026-06-01T00:00:00Z'), 'a', a.epoch)).toBe('won');
    // Lapsed again, and this time a survivor takes it over first: fenced.
    await lapsed(dbA!, 'a');
    const b = await joinCluster(dbB!, info('b'), LONG);
    expect((await reapLapsed(dbB!, 'b', b.epoch)).nodes.map((n) => n.nodeId)).toEqual(['a']);
    const error = await heartbeat(dbA!, 'a', a.epoch, LONG).catch((e: unknown) => e);
    expect(isStoreError(error, 'STORE_FENCED'), String(error)).toBe(true);
    expect((error as Error).message).toMatch(/^node a epoch 1: fenced: its epoch is now 2 \(taken over by node b\)$/);
  });

  it('reapLapsed marks the lapsed node’s runs interrupted and hands its unfinished fires to the reaper', async () => {
    const [dbA, dbB] = await cluster(2);
    const a = await joinCluster(dbA!, info('a'), 2000);
    const b = await joinCluster(dbB!, info('b'), LONG);
    const t = (s: number) => new Date(Date.parse('2026-06-01T00:00:00Z') + s * 1000);
    // r1 running, r2 queued, r3 finished, fire 4 claimed but its run never recorded, run r5 manual.
    for (const [s, runId] of [[1, 'r1'], [2, 'r2'], [3, 'r3'], [4, 'r4']] as const) expect(await claimFire(dbA!, 'j', t(s), 'a', a.epoch, { runId })).toBe('won');
    expect(await startRun(dbA!, { runId: 'r1', jobId: 'j', nodeId: 'a', epoch: a.epoch, scheduledAt: t(1) })).toBe(true);
    expect(await startRun(dbA!, { runId: 'r2', jobId: 'j', nodeId: 'a', epoch: a.epoch, scheduledAt: t(2), state: 'queued' })).toBe(true);
    expect(await startRun(dbA!, { runId: 'r3', jobId: 'j', nodeId: 'a', epoch: a.epoch, scheduledAt: t(3) })).toBe(true);
    expect(await startRun(dbA!, { runId: 'r5', jobId: 'k', nodeId: 'a', epoch: a.epoch })).toBe(true);
    expect(await startRun(dbB!, { runId: 'rb', jobId: 'k', nodeId: 'b', epoch: b.epoch })).toBe(true);
    await dbA!.query('test', "UPDATE mxx_runs SET state = 'succeeded', finished_at = now(), exit_code = 0 WHERE run_id = 'r3'");

    expect((await reapLapsed(dbB!, 'b', b.epoch)).nodes).toEqual([]); // a's lease is still live
    await lapsed(dbA!, 'a');
    const reaped = await reapLapsed(dbB!, 'b', b.epoch);
    expect(reaped.nodes).toEqual([{ nodeId: 'a', oldEpoch: a.epoch, newEpoch: a.epoch + 1 }]);
    expect(reaped.interruptedRuns).toEqual([
      { runId: 'r1', jobId: 'j', nodeId: 'a', scheduledAt: t(1) },
      { runId: 'r2', jobId: 'j', nodeId: 'a', scheduledAt: t(2) },
      { runId: 'r5', jobId: 'k', nodeId: 'a', scheduledAt: null },
    ]);
    expect(reaped.fires).toEqual([
      { jobId: 'j', scheduledAt: t(1), fromNodeId: 'a', previousRunId: 'r1' },
      { jobId: 'j', scheduledAt: t(2), fromNodeId: 'a', previousRunId: 'r2' },
      { jobId: 'j', scheduledAt: t(4), fromNodeId: 'a', previousRunId: 'r4' },
    ]);
    const runs = await dbB!.query<{ run_id: string; state: string; done: boolean }>(
      'test',
      'SELECT run_id, state, finished_at IS NOT NULL AS done FROM mxx_runs ORDER BY run_id',
    );
    expect(runs.rows).toEqual([
      { run_id: 'r1', state: 'interrupted', done: true },
      { run_id: 'r2', state: 'interrupted', done: true },
      { run_id: 'r3', state: 'succeeded', done: true },
      { run_id: 'r5', state: 'interrupted', done: true },
      { run_id: 'rb', state: 'running', done: false },
    ]);
    const fires = await dbB!.query<{ s: string; claimed_by: string }>('test', "SELECT to_char(scheduled_at AT TIME ZONE 'UTC', 'SS') AS s, claimed_by FROM mxx_fires ORDER BY 1");
    expect(fires.rows).toEqual([
      { s: '01', claimed_by: 'b' },
      { s: '02', claimed_by: 'b' },
      { s: '03', claimed_by: 'a' },
      { s: '04', claimed_by: 'b' },
    ]);
  });

  it('a reaper without a live lease is fenced and takes nothing', async () => {
    const [dbA, dbB] = await cluster(2);
    await joinCluster(dbA!, info('a'), 1);
    const b = await joinCluster(dbB!, info('b'), LONG);
    await lapsed(dbA!, 'a');
    const error = await reapLapsed(dbB!, 'b', b.epoch + 1).catch((e: unknown) => e);
    expect(isStoreError(error, 'STORE_FENCED'), String(error)).toBe(true);
    const { rows } = await dbB!.query('test', "SELECT epoch, reaped_by FROM mxx_nodes WHERE node_id = 'a'");
    expect(rows).toEqual([{ epoch: '1', reaped_by: null }]);
  });
});
