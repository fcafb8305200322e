/**
 * Fires: a (job, scheduled instant) runs on exactly one live node. The claim is ONE statement: the
 * insert happens only when the claimant's row says it holds that epoch with a live lease (by the
 * database clock), and the primary key lets exactly one claimant win. The claimant's row is
 * KEY SHARE locked by the statement, so a reaper bumping that epoch either waits for the claim
 * (and then finds the fire claimed by the old epoch, and takes it over) or goes first (and the
 * claim, re-checked against the bumped row, answers `fenced`).
 */
import type pg from 'pg';
import type { PostgresPool } from './connection.js';
import type { InterruptedRun } from './runs.js';

export type ClaimOutcome = 'won' | 'lost' | 'fenced';

export interface ClaimOptions {
  /** Stored with the claim, so the fire can be matched with its run. */
  runId?: string;
}

export async function claimFire(
  db: PostgresPool,
  jobId: string,
  scheduledAt: Date,
  nodeId: string,
  epoch: number,
  options: ClaimOptions = {},
): Promise<ClaimOutcome> {
  const { rows } = await db.query<{ live: boolean; won: boolean }>(
    `job ${jobId}: node ${nodeId} could not claim the fire at ${scheduledAt.toISOString()}`,
    `WITH me AS (
       SELECT node_id, epoch FROM mxx_nodes
       WHERE node_id = $3 AND epoch = $4 AND lease_until > now()
       FOR KEY SHARE
     ), won AS (
       INSERT INTO mxx_fires (job_id, scheduled_at, claimed_by, claimed_epoch, claimed_at, run_id)
       SELECT $1, $2, me.node_id, me.epoch, now(), $5 FROM me
       ON CONFLICT (job_id, scheduled_at) DO NOTHING
       RETURNING 1
     )
     SELECT EXISTS (SELECT 1 FROM me) AS live, EXISTS (SELECT 1 FROM won) AS won`,
    [jobId, scheduledAt, nodeId, epoch, options.runId ?? null],
  );
  const row = rows[0]!;
  return !row.live ? 'fenced' : row.won ? 'won' : 'lost';
}

export interface TakenFire {
  jobId: string;
  scheduledAt: Date;
  /** The node whose claim this was. */
  fromNodeId: string;
  /** Its run then (interrupted, or never recorded), if it had one. */
  previousRunId: string | null;
}

export interface FireOwner {
  nodeId: string;
  /** Fires claimed by this epoch or an older one. */
  upToEpoch: number;
}

/**
 * Moves the unfinished fires of `owners` to `to`: fires with no run, with a run that was never
 * recorded, or with a run just interrupted. A finished run's fire stays where it is (it ran). A
 * just-interrupted run stays on its fire (it may have started): the taker does not run it again,
 * and a later takeover of the taker must not take it for a fire that never ran.
 */
export async function takeOverFires(
  client: pg.PoolClient,
  owners: FireOwner[],
  to: { nodeId: string; epoch: number },
  interrupted: InterruptedRun[],
): Promise<TakenFire[]> {
  const live = owners.filter((o) => o.upToEpoch >= 1);
  if (live.length === 0) return [];
  const { rows } = await client.query<{ job_id: string; scheduled_at: Date; claimed_by: string; run_id: string | null }>(
    `WITH owners AS (
       SELECT * FROM unnest($1::text[], $2::bigint[]) AS o(node_id, up_to_epoch)
     ), old AS (
       SELECT f.job_id, f.scheduled_at, f.claimed_by, f.run_id FROM mxx_fires f JOIN owners o
         ON f.claimed_by = o.node_id AND f.claimed_epoch <= o.up_to_epoch
       WHERE f.run_id IS NULL OR f.run_id = ANY($3::text[])
          OR NOT EXISTS (SELECT 1 FROM mxx_runs r WHERE r.run_id = f.run_id)
       FOR UPDATE OF f
     )
     UPDATE mxx_fires f SET claimed_by = $4, claimed_epoch = $5, claimed_at = now(),
       run_id = CASE WHEN f.run_id = ANY($3::text[]) THEN f.run_id END
     FROM old WHERE f.job_id = old.job_id AND f.scheduled_at = old.scheduled_at
     RETURNING old.job_id, old.scheduled_at, old.claimed_by, old.run_id`,
    [live.map((o) => o.nodeId), live.map((o) => o.upToEpoch), interrupted.map((r) => r.runId), to.nodeId, to.epoch],
  );
  return rows
    .map((r) => ({ jobId: r.job_id, scheduledAt: r.scheduled_at, fromNodeId: r.claimed_by, previousRunId: r.run_id }))
    .sort((a, b) => a.scheduledAt.getTime() - b.scheduledAt.getTime() || a.jobId.localeCompare(b.jobId));
}
