/**
 * Cluster membership: a node joins (and gets a new epoch, its fencing token), renews its lease with
 * heartbeats, and a survivor takes over nodes whose lease lapsed. Every lease is compared with the
 * database's now(), so a node's own clock (or a long GC pause) never decides who is alive.
 */
import type pg from 'pg';
import type { PostgresPool } from './connection.js';
import { StoreError } from './errors.js';
import { takeOverFires, type TakenFire } from './fires.js';
import { interruptRuns, type InterruptedRun } from './runs.js';

export interface NodeInfo {
  /** Stable across restarts of the same server (the same machine and home); unique among servers. */
  nodeId: string;
  host: string;
  /** Where its API answers, for other servers and `mxx nodes`. */
  url?: string;
  version: string;
  /** @default [] */
  labels?: string[];
}

export interface Membership {
  nodeId: string;
  epoch: number;
  leaseUntil: Date;
  /** Runs a previous life of this node left unfinished: now `interrupted`. */
  interruptedRuns: InterruptedRun[];
  /** Fires a previous life claimed but never finished: now claimed by this epoch, to re-run or drop. */
  fires: TakenFire[];
}

/** Epochs are bigint; they stay far below 2^53, so a number is exact. */
const toEpoch = (value: string | number): number => Number(value);

function assertLeaseMs(leaseMs: number): void {
  if (!Number.isInteger(leaseMs) || leaseMs < 1) throw new RangeError(`leaseMs must be a positive integer (got ${leaseMs})`);
}

/** Registers the node (or its new life): epoch 1 the first time, previous epoch + 1 on every rejoin. */
export async function joinCluster(db: PostgresPool, node: NodeInfo, leaseMs: number): Promise<Membership> {
  assertLeaseMs(leaseMs);
  return db.transaction(`node ${node.nodeId} could not join`, async (client) => {
    const { rows } = await client.query<{ epoch: string; lease_until: Date }>(
      `INSERT INTO mxx_nodes (node_id, epoch, host, url, version, labels, started_at, heartbeat_at, lease_until)
       VALUES ($1, 1, $2, $3, $4, $5, now(), now(), now() + $6 * interval '1 millisecond')
       ON CONFLICT (node_id) DO UPDATE SET
         epoch = mxx_nodes.epoch + 1, host = EXCLUDED.host, url = EXCLUDED.url, version = EXCLUDED.version,
         labels = EXCLUDED.labels, started_at = now(), heartbeat_at = now(), lease_until = EXCLUDED.lease_until,
         reaped_at = NULL, reaped_by = NULL
       RETURNING epoch, lease_until`,
      [node.nodeId, node.host, node.url ?? null, node.version, node.labels ?? [], leaseMs],
    );
    const row = rows[0]!;
    const epoch = toEpoch(row.epoch);
    const interruptedRuns = await interruptRuns(client, [{ nodeId: node.nodeId, upToEpoch: epoch - 1 }], {
      error: `server ${node.nodeId} stopped while this run was in progress`,
    });
    const fires = await takeOverFires(client, [{ nodeId: node.nodeId, upToEpoch: epoch - 1 }], { nodeId: node.nodeId, epoch }, interruptedRuns);
    return { nodeId: node.nodeId, epoch, leaseUntil: row.lease_until, interruptedRuns, fires };
  });
}

/**
 * Renews the lease of (nodeId, epoch). Refused with STORE_FENCED when the epoch is no longer the
 * node's: a survivor took it over (which bumps the epoch in the same statement that marks its runs
 * interrupted and takes its fires) or another process joined with the same id; the node must then
 * stop its runs and rejoin. A lease that lapsed while nobody took it over (every server lost the
 * store for a while, or this one was alone) is renewed: nothing of it went elsewhere — its runs
 * still count for the overlap policy everywhere, and it could claim nothing while lapsed (claims
 * need a live lease). The row lock orders a renewal and a takeover: whichever goes second sees the
 * other's outcome.
 */
export async function heartbeat(db: PostgresPool, nodeId: string, epoch: number, leaseMs: number): Promise<{ leaseUntil: Date }> {
  assertLeaseMs(leaseMs);
  const { rows } = await db.query<{ lease_until: Date }>(
    `node ${nodeId} could not renew its lease`,
    `UPDATE mxx_nodes SET heartbeat_at = now(), lease_until = now() + $3 * interval '1 millisecond'
     WHERE node_id = $1 AND epoch = $2
     RETURNING lease_until`,
    [nodeId, epoch, leaseMs],
  );
  if (rows[0]) return { leaseUntil: rows[0].lease_until };
  throw await fencedError(db, nodeId, epoch);
}

async function fencedError(db: PostgresPool, nodeId: string, epoch: number): Promise<StoreError> {
  const { rows } = await db.query<{ epoch: string; lease_until: Date; reaped_by: string | null; lapsed_ms: number }>(
    `node ${nodeId} could not read its own row`,
    `SELECT epoch, lease_until, reaped_by, (extract(epoch FROM now() - lease_until) * 1000)::float8 AS lapsed_ms
     FROM mxx_nodes WHERE node_id = $1`,
    [nodeId],
  );
  const row = rows[0];
  const hint = 'stop this node’s runs and join the cluster again';
  if (!row) return new StoreError('STORE_FENCED', `node ${nodeId} epoch ${epoch}: fenced: the node is not registered`, { hint });
  const now = toEpoch(row.epoch);
  const why =
    now !== epoch
      ? `its epoch is now ${now}${row.reaped_by ? ` (taken over by node ${row.reaped_by})` : ' (it joined again)'}`
      : `its lease lapsed ${Math.round(row.lapsed_ms)} ms ago`;
  return new StoreError('STORE_FENCED', `node ${nodeId} epoch ${epoch}: fenced: ${why}`, {
    hint,
    details: { nodeId, epoch, currentEpoch: now, reapedBy: row.reaped_by },
  });
}

export interface ReapedNode {
  nodeId: string;
  /** The epoch it held; anything it claims or renews with it is refused from now on. */
  oldEpoch: number;
  newEpoch: number;
}

export interface ReapResult {
  nodes: ReapedNode[];
  interruptedRuns: InterruptedRun[];
  /** Their unfinished fires, now claimed by the reaper: re-run those within misfire_grace_time. */
  fires: TakenFire[];
}

/**
 * Takes over every other node whose lease lapsed (by the database clock): bumps its epoch (fencing
 * it), marks its queued and running runs `interrupted`, and moves its unfinished fires to the
 * reaper. SKIP LOCKED lets several reapers work at once without waiting on each other; a node row
 * held by an in-flight claim is skipped and taken on the next round. The reaper must itself hold a
 * live lease (else STORE_FENCED): taken-over fires go only to a node that can run them.
 */
export async function reapLapsed(db: PostgresPool, byNodeId: string, byEpoch: number): Promise<ReapResult> {
  const result = await db.transaction(`node ${byNodeId} could not reap lapsed nodes`, async (client) => {
    if (!(await isLive(client, byNodeId, byEpoch))) return undefined;
    const { rows } = await client.query<{ node_id: string; old_epoch: string; new_epoch: string }>(
      `WITH lapsed AS (
         SELECT node_id, epoch FROM mxx_nodes
         WHERE lease_until < now() AND reaped_at IS NULL AND node_id <> $1
         FOR UPDATE SKIP LOCKED
       )
       UPDATE mxx_nodes n SET epoch = n.epoch + 1, reaped_at = now(), reaped_by = $1
       FROM lapsed WHERE n.node_id = lapsed.node_id
       RETURNING n.node_id, lapsed.epoch AS old_epoch, n.epoch AS new_epoch`,
      [byNodeId],
    );
    const nodes = rows.map((r) => ({ nodeId: r.node_id, oldEpoch: toEpoch(r.old_epoch), newEpoch: toEpoch(r.new_epoch) }));
    if (nodes.length === 0) return { nodes, interruptedRuns: [], fires: [] };
    const owners = nodes.map((n) => ({ nodeId: n.nodeId, upToEpoch: n.oldEpoch }));
    const interruptedRuns = await interruptRuns(client, owners, {
      error: `server ${nodes.map((n) => n.nodeId).join(', ')} stopped renewing its lease while this run was in progress; taken over by ${byNodeId}`,
    });
    const fires = await takeOverFires(client, owners, { nodeId: byNodeId, epoch: byEpoch }, interruptedRuns);
    return { nodes, interruptedRuns, fires };
  });
  if (result === undefined) throw await fencedError(db, byNodeId, byEpoch);
  return result;
}

/** Locks (KEY SHARE) and checks the node's own row, so a reaper cannot take it over mid-transaction. */
async function isLive(client: pg.PoolClient, nodeId: string, epoch: number): Promise<boolean> {
  const { rowCount } = await client.query(
    'SELECT 1 FROM mxx_nodes WHERE node_id = $1 AND epoch = $2 AND lease_until > now() FOR KEY SHARE',
    [nodeId, epoch],
  );
  return rowCount === 1;
}
