/**
 * Run rows, as far as coordination needs them: a node records a run it starts (fenced like a
 * claim), and a takeover marks a dead node's unfinished runs `interrupted`. Record details and
 * output chunks (mxx_run_output) come with the store boundary in the supervisor.
 */
import type pg from 'pg';
import { toIsoLocal } from '../../records.js';
import type { PostgresPool } from './connection.js';

export const LIVE_RUN_STATES = ['queued', 'running'] as const;

export interface InterruptedRun {
  runId: string;
  jobId: string;
  nodeId: string;
  /** The fire it served; null for a manual trigger. */
  scheduledAt: Date | null;
}

export interface StartRun {
  runId: string;
  jobId: string;
  nodeId: string;
  epoch: number;
  scheduledAt?: Date;
  /** @default 'running' */
  state?: (typeof LIVE_RUN_STATES)[number];
  record?: Record<string, unknown>;
}

/** Inserts the run if (nodeId, epoch) still holds a live lease; false when fenced. */
export async function startRun(db: PostgresPool, run: StartRun): Promise<boolean> {
  const state = run.state ?? 'running';
  const { rowCount } = await db.query(
    `run ${run.runId} of job ${run.jobId}: could not record its start`,
    `INSERT INTO mxx_runs (run_id, job_id, node_id, node_epoch, scheduled_at, state, started_at, record)
     SELECT $1, $2, node_id, epoch, $5, $6, CASE WHEN $6 = 'running' THEN now() END, $7
     FROM mxx_nodes WHERE node_id = $3 AND epoch = $4 AND lease_until > now()
     FOR KEY SHARE`,
    [run.runId, run.jobId, run.nodeId, run.epoch, run.scheduledAt ?? null, state, run.record ?? {}],
  );
  return rowCount === 1;
}

export interface InterruptNote {
  /** What the record's `error` says. */
  error: string;
  /** The record's `ended_at` (display only: the row's finished_at is the database's now()). @default now, local ISO */
  endedAt?: string;
}

/**
 * Marks the queued and running runs of each node (epoch ≤ upToEpoch) interrupted, by the database
 * clock; their records (what every server's API shows) say so too.
 */
export async function interruptRuns(client: pg.PoolClient, owners: { nodeId: string; upToEpoch: number }[], note?: InterruptNote): Promise<InterruptedRun[]> {
  if (owners.length === 0) return [];
  const { rows } = await client.query<{ run_id: string; job_id: string; node_id: string; scheduled_at: Date | null }>(
    `UPDATE mxx_runs r SET state = 'interrupted', finished_at = now(),
       record = r.record || jsonb_build_object('status', 'interrupted', 'ended_at', $4::text, 'error', $5::text)
     FROM unnest($1::text[], $2::bigint[]) AS o(node_id, up_to_epoch)
     WHERE r.node_id = o.node_id AND r.node_epoch <= o.up_to_epoch AND r.state = ANY($3::text[])
     RETURNING r.run_id, r.job_id, r.node_id, r.scheduled_at`,
    [
      owners.map((o) => o.nodeId),
      owners.map((o) => o.upToEpoch),
      [...LIVE_RUN_STATES],
      note?.endedAt ?? toIsoLocal(Date.now()),
      note?.error ?? 'the server running it stopped while it was in progress',
    ],
  );
  return rows
    .map((r) => ({ runId: r.run_id, jobId: r.job_id, nodeId: r.node_id, scheduledAt: r.scheduled_at }))
    .sort((a, b) => a.runId.localeCompare(b.runId));
}
