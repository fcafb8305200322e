/**
 * The database side of an import (./import.ts): one transaction that writes jobs into mxx_jobs and
 * runs into mxx_runs as the PostgreSQL registry and history write their own (./postgres/registry.ts,
 * ./postgres/history.ts), so a server on the store loads them as it loads its own. A job already
 * there with the same config and schedule is left as it is; one with other content is a conflict:
 * without `replace` the transaction writes nothing and says which.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { RegistryEntry, RunRecord } from '../records.js';
import { notifyChange } from './postgres/changes.js';
import type { PostgresPool } from './postgres/connection.js';

export interface ImportRows {
  /** In registry order: a new job takes the next position, a replaced one keeps its own. */
  entries: RegistryEntry[];
  /** Oldest first within a job: `seq` (the history's tie-break) follows this order. */
  runs: RunRecord[];
  replace: boolean;
  nodeId: string;
}

export type ImportWrite =
  | { kind: 'conflict'; conflicts: string[] }
  | { kind: 'done'; imported: string[]; replaced: string[]; identical: string[]; insertedRuns: Set<string> };

/** Rows per statement: one jsonb array parameter each. */
const BATCH = 500;

/** JSON with object keys sorted, so jsonb's reordering does not count as a change. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const contentOf = (entry: Pick<RegistryEntry, 'config' | 'schedule'>): string => canonical([entry.config, entry.schedule]);
/** The content_hash the PostgreSQL registry writes. */
const hashOf = (entry: RegistryEntry): string => createHash('sha256').update(JSON.stringify([entry.config, entry.schedule])).digest('hex');

function batches<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += BATCH) out.push(items.slice(i, i + BATCH));
  return out;
}

export function writeImport(db: PostgresPool, rows: ImportRows): Promise<ImportWrite> {
  return db.transaction('import: could not write the jobs and runs', async (client) => {
    // Registering, editing or removing a job waits until the import is done; reads go on.
    await client.query('LOCK TABLE mxx_jobs IN SHARE ROW EXCLUSIVE MODE');
    const ids = rows.entries.map((e) => e.job_id);
    const { rows: present } = await client.query<{ id: string; entry: RegistryEntry }>('SELECT id, entry FROM mxx_jobs WHERE id = ANY($1::text[])', [ids]);
    const stored = new Map(present.map((row) => [row.id, row.entry]));
    const imported: RegistryEntry[] = [];
    const replaced: RegistryEntry[] = [];
    const identical: string[] = [];
    for (const entry of rows.entries) {
      const there = stored.get(entry.job_id);
      if (there === undefined) imported.push(entry);
      else if (contentOf(there) === contentOf(entry)) identical.push(entry.job_id);
      else replaced.push(entry);
    }
    if (replaced.length > 0 && !rows.replace) return { kind: 'conflict', conflicts: replaced.map((e) => e.job_id) };

    const writes = rows.entries.filter((e) => !identical.includes(e.job_id));
    for (const batch of batches(writes)) await writeJobs(client, batch);
    for (const entry of writes) await notifyChange(client, 'job', entry.job_id, rows.nodeId);
    const insertedRuns = new Set<string>();
    for (const batch of batches(rows.runs)) for (const runId of await writeRuns(client, batch, rows.nodeId)) insertedRuns.add(runId);
    return { kind: 'done', imported: imported.map((e) => e.job_id), replaced: replaced.map((e) => e.job_id), identical, insertedRuns };
  });
}

async function writeJobs(client: pg.PoolClient, entries: RegistryEntry[]): Promise<void> {
  await client.query(
    `INSERT INTO mxx_jobs (id, entry, content_hash, revision, source)
     SELECT j->'entry'->>'job_id', j->'entry', j->>'hash', 1, j->'entry'->>'source'
     FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS t(j, ord)
     ORDER BY ord
     ON CONFLICT (id) DO UPDATE SET entry = EXCLUDED.entry, content_hash = EXCLUDED.content_hash,
       revision = mxx_jobs.revision + 1, source = EXCLUDED.source, updated_at = now()`,
    [JSON.stringify(entries.map((entry) => ({ entry, hash: hashOf(entry) })))],
  );
}

/** Inserts the runs not there yet; resolves the ids it inserted. */
async function writeRuns(client: pg.PoolClient, runs: RunRecord[], nodeId: string): Promise<string[]> {
  const { rows } = await client.query<{ run_id: string }>(
    `INSERT INTO mxx_runs (run_id, job_id, node_id, node_epoch, scheduled_at, state, queued_at, started_at, finished_at, exit_code, record)
     SELECT r->>'run_id', r->>'job_id', $2, 0, (r->>'scheduled_at')::timestamptz, r->>'status',
            COALESCE((r->>'scheduled_at')::timestamptz, (r->>'started_at')::timestamptz, (r->>'ended_at')::timestamptz, now()),
            (r->>'started_at')::timestamptz, (r->>'ended_at')::timestamptz, (r->>'exit_code')::integer, r
     FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS t(r, ord)
     ORDER BY ord
     ON CONFLICT (run_id) DO NOTHING
     RETURNING run_id`,
    [JSON.stringify(runs), nodeId],
  );
  return rows.map((row) => row.run_id);
}
