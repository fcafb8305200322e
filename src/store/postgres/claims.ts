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
  const [outcome] = await claimRuns(db, claim.nodeId, claim.epoch, [claim]);
  return outcome!;
}

/**
 * Claims several runs of one node in ONE transaction (the fires that came due together): the same
 * steps as one claim, each a single statement over all of them, so a burst of 50 fires costs about
 * the round trips of one. Outcomes in the order of `claims`.
 */
export async function claimRuns(db: PostgresPool, nodeId: string, epoch: number, claims: readonly Omit<RunClaim, 'nodeId' | 'epoch'>[]): Promise<RunClaimOutcome[]> {
  if (claims.length === 0) return [];
  const first = claims[0]!;
  const what =
    claims.length === 1
      ? `job ${first.jobId}: node ${nodeId} could not claim ${first.scheduledAt ? `the fire at ${first.scheduledAt.toISOString()}` : 'a run'}`
      : `node ${nodeId} could not claim ${claims.length} runs (jobs ${claims.map((c) => c.jobId).slice(0, 5).join(', ')}${claims.length > 5 ? ', …' : ''})`;
  return db.transaction(what, async (client) => {
    const me = await client.query('SELECT 1 FROM mxx_nodes WHERE node_id = $1 AND epoch = $2 AND lease_until > now() FOR KEY SHARE', [nodeId, epoch]);
    if (me.rowCount !== 1) return claims.map((): RunClaimOutcome => ({ kind: 'fenced' }));
    const groups = claims.map((c) => (c.groupJobs.length > 0 ? [c.jobId, ...c.groupJobs] : [c.jobId]));
    const locked = [...new Set(groups.flat())].sort();
    // One lock per job, taken in id order: a group's claims lock every member, so two claims of
    // different members serialize, and two groups sharing no job never wait on each other.
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext(id)) FROM (SELECT unnest($2::text[]) AS id ORDER BY 1) AS ids', [CLAIM_LOCK_SPACE, locked]);
    // The fires: new ones inserted (the primary key lets one claimant win), taken-over ones checked to be still this epoch's.
    const won = new Set<number>();
    const fresh = claims.flatMap((c, i) => (c.scheduledAt !== null && !c.takenOver ? [i] : []));
    const taken = claims.flatMap((c, i) => (c.scheduledAt !== null && c.takenOver ? [i] : []));
    for (const [indexes, sql] of [
      [
        fresh,
        `INSERT INTO mxx_fires (job_id, scheduled_at, claimed_by, claimed_epoch, claimed_at, run_id)
         SELECT f.job_id, f.scheduled_at, $4, $5, now(), f.run_id FROM unnest($1::text[], $2::timestamptz[], $3::text[]) AS f(job_id, scheduled_at, run_id)
         ON CONFLICT (job_id, scheduled_at) DO NOTHING RETURNING run_id`,
      ],
      [
        taken,
        `UPDATE mxx_fires AS m SET run_id = f.run_id FROM unnest($1::text[], $2::timestamptz[], $3::text[]) AS f(job_id, scheduled_at, run_id)
         WHERE m.job_id = f.job_id AND m.scheduled_at = f.scheduled_at AND m.claimed_by = $4 AND m.claimed_epoch = $5 RETURNING m.run_id`,
      ],
    ] as const) {
      if (indexes.length === 0) continue;
      const { rows } = await client.query<{ run_id: string }>(sql, [indexes.map((i) => claims[i]!.jobId), indexes.map((i) => claims[i]!.scheduledAt), indexes.map((i) => claims[i]!.runId), nodeId, epoch]);
      const ids = new Set(rows.map((r) => r.run_id));
      for (const i of indexes) if (ids.has(claims[i]!.runId)) won.add(i);
    }
    claims.forEach((c, i) => {
      if (c.scheduledAt === null) won.add(i); // a trigger is unique by itself
    });
    // The runs of the jobs (and groups) live on OTHER servers, for every won claim at once.
    const wonJobs = [...new Set([...won].flatMap((i) => groups[i]!))];
    const { rows: elsewhere } =
      wonJobs.length === 0
        ? { rows: [] }
        : await client.query<{ run_id: string; job_id: string; node_id: string }>(
            `SELECT run_id, job_id, node_id FROM mxx_runs WHERE job_id = ANY($1::text[]) AND state = ANY($2::text[]) AND node_id <> $3 ORDER BY run_id`,
            [wonJobs, [...LIVE_RUN_STATES], nodeId],
          );
    const outcomes: RunClaimOutcome[] = claims.map((claim, i) => {
      if (!won.has(i)) return { kind: 'lost' };
      const members = new Set(groups[i]);
      const rows = elsewhere.filter((r) => members.has(r.job_id));
      const groupBusy = rows.some((r) => r.job_id !== claim.jobId);
      if (groupBusy || (rows.length > 0 && rows.length + claim.localRuns >= claim.maxRuns)) {
        return { kind: 'busy', runs: rows.map((r) => ({ runId: r.run_id, jobId: r.job_id, nodeId: r.node_id })) };
      }
      return { kind: 'won' };
    });
    const starting = claims.filter((_, i) => outcomes[i]!.kind === 'won');
    if (starting.length > 0) {
      await client.query(
        `INSERT INTO mxx_runs (run_id, job_id, node_id, node_epoch, scheduled_at, state, record)
         SELECT r.run_id, r.job_id, $5, $6, r.scheduled_at, 'running', r.record
         FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::jsonb[]) AS r(run_id, job_id, scheduled_at, record)
         ON CONFLICT (run_id) DO NOTHING`,
        [starting.map((c) => c.runId), starting.map((c) => c.jobId), starting.map((c) => c.scheduledAt), starting.map((c) => JSON.stringify(c.record)), nodeId, epoch],
      );
    }
    return outcomes;
  });
}
