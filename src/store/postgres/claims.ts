/**
 * Claiming a run across servers: in ONE transaction, (1) the claimant's lease is checked and its
 * row KEY SHARE locked (a reaper bumping the epoch waits, or goes first and the claim is fenced),
 * (2) the job's (or its group's) advisory lock serializes every claim that could overlap, (3) the
 * fire (job, instant) is inserted — the primary key lets one claimant win — or, for a fire the
 * claimant took over, checked to be still its own, (4) the runs of the job (and its group) live on
 * OTHER servers are counted against the overlap policy, and (5) the run row is inserted, so the next
 * claim anywhere sees it at once. Runs on the claimant itself are left to its own overlap policy
 * (queue and replace act on local runs; a run elsewhere makes every policy skip: `busy`).
 */
import type { PostgresPool } from './connection.js';
import { LIVE_RUN_STATES } from './runs.js';

export interface RunClaim {
  jobId: string;
  /** The fire's instant; null for a manual trigger (no fire row: a trigger is unique by itself). */
  scheduledAt: Date | null;
  /** True for a fire this node already holds (taken over from a lapsed node, or from its previous life). */
  takenOver?: boolean;
  runId: string;
  nodeId: string;
  epoch: number;
  /** The other jobs of the job's group ([] without a group): a group runs one member at a time. */
  groupJobs: readonly string[];
  /** Runs allowed at once anywhere: max_instances for overlap = allow, 1 for every other policy. */
  maxRuns: number;
  /** The job's runs on the claimant right now (its own policy decides about those). */
  localRuns: number;
  /** The run's first record (stored as the row's record until the history writes it). */
  record: Record<string, unknown>;
}

export type RunClaimOutcome =
  | { kind: 'won' }
  /** Another server claimed this fire first: it runs there. */
  | { kind: 'lost' }
  /** This node no longer holds a live lease: it must not run anything. */
  | { kind: 'fenced' }
  /** The fire is this node's, but the job (or its group) is running on other servers. */
  | { kind: 'busy'; runs: { runId: string; jobId: string; nodeId: string }[] };

/** Advisory locks of claims live in their own key space (the migrations' lock uses another). */
const CLAIM_LOCK_SPACE = 0x6d7878;

export async function claimRun(db: PostgresPool, claim: RunClaim): Promise<RunClaimOutcome> {
  const what = `job ${claim.jobId}: node ${claim.nodeId} could not claim ${claim.scheduledAt ? `the fire at ${claim.scheduledAt.toISOString()}` : 'a run'}`;
  return db.transaction(what, async (client) => {
    const me = await client.query(
      'SELECT 1 FROM mxx_nodes WHERE node_id = $1 AND epoch = $2 AND lease_until > now() FOR KEY SHARE',
      [claim.nodeId, claim.epoch],
    );
    if (me.rowCount !== 1) return { kind: 'fenced' };
    const group = claim.groupJobs.length > 0 ? [claim.jobId, ...claim.groupJobs].sort() : [claim.jobId];
    // One lock per job, taken in id order: a group's claims lock every member, so two claims of
    // different members serialize, and two groups sharing no job never wait on each other.
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext(id)) FROM (SELECT unnest($2::text[]) AS id ORDER BY 1) AS ids', [CLAIM_LOCK_SPACE, group]);
    if (claim.scheduledAt !== null) {
      const fire = claim.takenOver
        ? await client.query(
            `UPDATE mxx_fires SET run_id = $5 WHERE job_id = $1 AND scheduled_at = $2 AND claimed_by = $3 AND claimed_epoch = $4 RETURNING 1`,
            [claim.jobId, claim.scheduledAt, claim.nodeId, claim.epoch, claim.runId],
          )
        : await client.query(
            `INSERT INTO mxx_fires (job_id, scheduled_at, claimed_by, claimed_epoch, claimed_at, run_id)
             VALUES ($1, $2, $3, $4, now(), $5) ON CONFLICT (job_id, scheduled_at) DO NOTHING RETURNING 1`,
            [claim.jobId, claim.scheduledAt, claim.nodeId, claim.epoch, claim.runId],
          );
      if (fire.rowCount !== 1) return { kind: 'lost' };
    }
    const { rows } = await client.query<{ run_id: string; job_id: string; node_id: string }>(
      `SELECT run_id, job_id, node_id FROM mxx_runs
       WHERE job_id = ANY($1::text[]) AND state = ANY($2::text[]) AND node_id <> $3
       ORDER BY run_id`,
      [group, [...LIVE_RUN_STATES], claim.nodeId],
    );
    const groupBusy = rows.some((r) => r.job_id !== claim.jobId);
    if (groupBusy || (rows.length > 0 && rows.length + claim.localRuns >= claim.maxRuns)) {
      return { kind: 'busy', runs: rows.map((r) => ({ runId: r.run_id, jobId: r.job_id, nodeId: r.node_id })) };
    }
    await client.query(
      `INSERT INTO mxx_runs (run_id, job_id, node_id, node_epoch, scheduled_at, state, record)
       VALUES ($1, $2, $3, $4, $5, 'running', $6) ON CONFLICT (run_id) DO NOTHING`,
      [claim.runId, claim.jobId, claim.nodeId, claim.epoch, claim.scheduledAt, claim.record],
    );
    return { kind: 'won' };
  });
}
