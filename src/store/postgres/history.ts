/**
 * The History on PostgreSQL (table mxx_runs, the whole record in `record`). As in the files store,
 * memory holds the newest `keep` runs of each job and answers every read; record() is visible at
 * once and written behind: the records of one tick share one upsert, and runs trimmed beyond
 * `keep` are deleted in the same round. A failed round is logged once per episode and tried again
 * `retryMs` later (and by flush()/written(), which reject while it fails); a newer record of a run
 * supersedes a failed one, a cleared or trimmed run is not written again.
 */
import { hostname } from 'node:os';
import { assertJobId } from '../../job/id.js';
import { DEFAULT_HISTORY_KEEP } from '../../job/defaults.js';
import { silentLogger, type Logger } from '../../logger.js';
import type { RunRecord, RunStatus } from '../../records.js';
import type { History, HistoryLoadOptions } from '../../history/index.js';
import { mergeRecent, newestIdFirst, type RunSource } from '../../history/recent.js';
import { notifyChange } from './changes.js';
import type { PostgresPool } from './connection.js';

/** The history of one server of several: it also reads the runs the others record. */
export interface PostgresHistory extends History {
  /**
   * Reads the run rows other servers wrote since the last pull into memory (never written back),
   * so this server's reads show every server's runs. Concurrent calls share one query.
   */
  pull(): Promise<number>;
}

/** Change notice a write round sends (its id is the writing node): the others pull(). */
export const RUNS_CHANGE = 'runs';
/**
 * pull() looks this many change numbers behind its cursor again: numbers are drawn when a row is
 * written but become visible when its transaction commits, so a slow commit can land behind one
 * already read.
 */
const PULL_LOOKBACK = 512;

export interface PostgresHistoryOptions {
  db: PostgresPool;
  /** Written into each run row's node_id. @default os.hostname() */
  nodeId?: string;
  /** The node's current epoch (cluster membership), written into each run row. @default 0 */
  epoch?: () => number;
  /** @default silentLogger */
  logger?: Logger;
  /** How long after a failed write it is tried again. @default 5000 */
  retryMs?: number;
  /** Told about every statement's outcome (the store's `connected`). */
  onResult?: (error: unknown) => void;
}

interface Stored {
  rec: RunRecord;
  time: number;
  seq: number;
}

interface JobHistory {
  runs: Map<string, Stored>;
  sorted: Stored[] | undefined;
  ids: string[] | undefined;
  statuses: Map<RunStatus, number>;
  keep: number;
}

const isUnfinished = (rec: RunRecord): boolean => rec.status === 'running' || rec.status === 'queued';
const newestFirst = (a: Stored, b: Stored): number => b.time - a.time || b.seq - a.seq;
const noop = (): void => undefined;

function timeOf(rec: RunRecord, fallback: number): number {
  for (const iso of [rec.started_at, rec.scheduled_at, rec.ended_at]) {
    const ms = iso ? Date.parse(iso) : Number.NaN;
    if (Number.isFinite(ms)) return ms;
  }
  return fallback;
}

function normalizeKeep(keep: number | undefined): number {
  return keep !== undefined && Number.isInteger(keep) && keep > 0 ? keep : DEFAULT_HISTORY_KEEP;
}

export function createPostgresHistory(options: PostgresHistoryOptions): PostgresHistory {
  const { db } = options;
  const logger = options.logger ?? silentLogger;
  const nodeId = options.nodeId ?? hostname();
  const epochOf = options.epoch ?? ((): number => 0);
  const retryMs = options.retryMs ?? 5000;
  const onResult = options.onResult ?? noop;
  let jobs = new Map<string, JobHistory>();
  let byRunId = new Map<string, Stored>();
  let seq = 0;
  let writeErrors = 0;
  let failing = false;
  /** Records waiting to be written (the newest of each run) and runs to delete. */
  let upserts = new Map<string, RunRecord>();
  let deletes = new Set<string>();
  /** Every database write, one at a time, in order. */
  let chain: Promise<void> = Promise.resolve();
  let scheduled = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let lastError: unknown;
  /** The highest change number read (load and pull), and the pull under way. */
  let cursor = 0;
  let pulling: Promise<number> | undefined;
  let pullAgain = false;

  function sortedRuns(job: JobHistory): Stored[] {
    job.sorted ??= [...job.runs.values()].sort(newestFirst);
    return job.sorted;
  }

  function countStatus(job: JobHistory, status: RunStatus, delta: number): void {
    const count = (job.statuses.get(status) ?? 0) + delta;
    if (count > 0) job.statuses.set(status, count);
    else job.statuses.delete(status);
  }

  function jobFor(jobId: string): JobHistory {
    let job = jobs.get(jobId);
    if (job) return job;
    assertJobId(jobId);
    job = { runs: new Map(), sorted: undefined, ids: undefined, statuses: new Map(), keep: DEFAULT_HISTORY_KEEP };
    jobs.set(jobId, job);
    return job;
  }

  function upsert(job: JobHistory, rec: RunRecord, fallbackTime: number): void {
    const previous = job.runs.get(rec.run_id);
    const stored: Stored = { rec: Object.freeze({ ...rec }), time: timeOf(rec, previous?.time ?? fallbackTime), seq: previous?.seq ?? ++seq };
    job.runs.set(rec.run_id, stored);
    byRunId.set(rec.run_id, stored);
    job.sorted = undefined;
    if (previous) countStatus(job, previous.rec.status, -1);
    else job.ids = undefined;
    countStatus(job, rec.status, 1);
  }

  /** Drops the oldest finished runs beyond `keep` (never one in progress); returns their ids. */
  function trim(job: JobHistory): string[] {
    if (job.runs.size <= job.keep) return [];
    const dropped: string[] = [];
    const sorted = sortedRuns(job);
    for (let i = sorted.length - 1; i >= 0 && job.runs.size > job.keep; i--) {
      const stored = sorted[i]!;
      if (isUnfinished(stored.rec)) continue;
      job.runs.delete(stored.rec.run_id);
      countStatus(job, stored.rec.status, -1);
      if (byRunId.get(stored.rec.run_id) === stored) byRunId.delete(stored.rec.run_id);
      dropped.push(stored.rec.run_id);
    }
    job.sorted = undefined;
    job.ids = undefined;
    return dropped;
  }

  function forget(runIds: string[]): void {
    for (const runId of runIds) {
      upserts.delete(runId);
      deletes.add(runId);
    }
  }

  function sourceOf(job: JobHistory): RunSource {
    job.ids ??= [...job.runs.keys()].sort(newestIdFirst);
    return { ids: job.ids, get: (runId) => job.runs.get(runId)!.rec };
  }

  function* sourcesFor({ jobs: jobIds, statuses }: { jobs?: readonly string[]; statuses?: readonly RunStatus[] }): Generator<RunSource> {
    const wanted = new Set(statuses);
    if (wanted.has('running') || wanted.has('queued')) wanted.add('running').add('queued');
    const selected = jobIds === undefined || jobIds.length === 0 ? jobs.values() : new Set(jobIds);
    for (const item of selected) {
      const job = typeof item === 'string' ? jobs.get(item) : item;
      if (!job || job.runs.size === 0) continue;
      if (wanted.size > 0 && ![...wanted].some((status) => (job.statuses.get(status) ?? 0) > 0)) continue;
      yield sourceOf(job);
    }
  }

  function enqueue(op: () => Promise<void>): Promise<void> {
    const done = chain.then(op);
    chain = done.catch(noop);
    return done;
  }

  /** One round: every pending upsert and delete, in one transaction. */
  async function writePending(): Promise<void> {
    scheduled = false;
    if (upserts.size === 0 && deletes.size === 0) return;
    const batch = [...upserts.values()];
    const gone = [...deletes];
    upserts = new Map();
    deletes = new Set();
    try {
      await db.transaction('history: could not save run records', async (client) => {
        if (batch.length > 0) {
          await client.query(
            `INSERT INTO mxx_runs (run_id, job_id, node_id, node_epoch, scheduled_at, state, started_at, finished_at, exit_code, record)
             SELECT r->>'run_id', r->>'job_id', $2, $3, (r->>'scheduled_at')::timestamptz, r->>'status',
                    (r->>'started_at')::timestamptz, (r->>'ended_at')::timestamptz, (r->>'exit_code')::integer, r
             FROM jsonb_array_elements($1::jsonb) AS r
             ON CONFLICT (run_id) DO UPDATE SET state = EXCLUDED.state, scheduled_at = EXCLUDED.scheduled_at,
               started_at = EXCLUDED.started_at, finished_at = EXCLUDED.finished_at, exit_code = EXCLUDED.exit_code,
               record = EXCLUDED.record
             WHERE mxx_runs.state <> 'interrupted'`,
            [JSON.stringify(batch), nodeId, epochOf()],
          );
          await notifyChange(client, RUNS_CHANGE, nodeId, nodeId);
        }
        if (gone.length > 0) await client.query('DELETE FROM mxx_runs WHERE run_id = ANY($1::text[])', [gone]);
      });
    } catch (error) {
      writeErrors++;
      lastError = error;
      onResult(error);
      if (!failing) {
        logger.warn(
          `history: ${error instanceof Error ? error.message : String(error)}; runs are kept in memory (the newest of each job) and written again every ${retryMs} ms; further failures are not logged until writing works`,
        );
      }
      failing = true;
      // Put back what is still wanted: a newer record of a run wins, a forgotten run stays forgotten.
      for (const rec of batch) if (!upserts.has(rec.run_id) && byRunId.has(rec.run_id) && !deletes.has(rec.run_id)) upserts.set(rec.run_id, byRunId.get(rec.run_id)!.rec);
      for (const runId of gone) if (!byRunId.has(runId)) deletes.add(runId);
      retryTimer ??= setTimeout(() => {
        retryTimer = undefined;
        schedule();
      }, retryMs);
      retryTimer.unref?.();
      throw error;
    }
    onResult(undefined);
    lastError = undefined;
    if (failing) logger.info(`history: writing run history works again (${writeErrors} failed write(s) so far)`);
    failing = false;
  }

  function schedule(): void {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => void enqueue(writePending).catch(noop));
  }

  /** Resolves once everything recorded so far was written; rejects if that failed. */
  async function flush(): Promise<void> {
    const pending = upserts.size > 0 || deletes.size > 0;
    await chain;
    if (pending || upserts.size > 0 || deletes.size > 0) await enqueue(writePending);
    else if (lastError !== undefined) throw lastError;
  }

  /** One page of other servers' run rows changed since the cursor, into memory (not written back). */
  async function pullOnce(): Promise<number> {
    const { rows } = await db.query<{ record: RunRecord; node_id: string; changed: string }>(
      'history: could not read the runs of the other servers',
      `SELECT record, node_id, changed FROM mxx_runs WHERE changed > $1 AND node_id <> $2 ORDER BY changed LIMIT 5000`,
      [Math.max(0, cursor - PULL_LOOKBACK), nodeId],
    );
    let absorbed = 0;
    const trimmed: string[] = [];
    for (const { record, node_id, changed } of rows) {
      cursor = Math.max(cursor, Number(changed));
      const rec: RunRecord = record.node === undefined ? { ...record, node: node_id } : record;
      const job = jobFor(rec.job_id);
      const known = job.runs.get(rec.run_id)?.rec;
      // A run trimmed here (or cleared) is not brought back by a lookback; a record seen already is skipped.
      if (known !== undefined && JSON.stringify(known) === JSON.stringify(rec)) continue;
      if (known === undefined && deletes.has(rec.run_id)) continue;
      upsert(job, rec, Date.now());
      trimmed.push(...trim(job));
      absorbed++;
    }
    if (trimmed.length > 0) {
      forget(trimmed);
      schedule();
    }
    // A full page: there is more.
    if (rows.length === 5000) pullAgain = true;
    return absorbed;
  }

  return {
    async load(loadOptions: HistoryLoadOptions = {}) {
      await flush().catch(noop);
      const { rows } = await db
        .query<{ record: RunRecord; changed: string }>('history: could not load run records', 'SELECT record, changed FROM mxx_runs ORDER BY seq')
        .catch((error: unknown) => {
          onResult(error);
          throw error;
        });
      onResult(undefined);
      jobs = new Map();
      byRunId = new Map();
      cursor = 0;
      for (const { record, changed } of rows) {
        upsert(jobFor(record.job_id), record, 0);
        cursor = Math.max(cursor, Number(changed));
      }
      const dropped: string[] = [];
      for (const [jobId, job] of jobs) {
        const keep = loadOptions.keep?.(jobId);
        job.keep = keep === undefined ? Math.max(DEFAULT_HISTORY_KEEP, job.runs.size) : normalizeKeep(keep);
        dropped.push(...trim(job));
      }
      if (dropped.length > 0) {
        forget(dropped);
        schedule();
      }
    },
    record(rec, keep) {
      const job = jobFor(rec.job_id);
      job.keep = normalizeKeep(keep);
      upsert(job, rec, Date.now());
      upserts.set(rec.run_id, byRunId.get(rec.run_id)!.rec);
      deletes.delete(rec.run_id);
      forget(trim(job));
      schedule();
    },
    list(jobId, limit) {
      const job = jobs.get(jobId);
      if (!job) return [];
      const sorted = sortedRuns(job);
      const end = limit === undefined || !Number.isFinite(limit) ? sorted.length : Math.max(0, Math.floor(limit));
      return sorted.slice(0, end).map((stored) => stored.rec);
    },
    get: (runId) => byRunId.get(runId)?.rec,
    recent: (query, current) => mergeRecent(sourcesFor(query), query, current),
    latest(jobId) {
      const job = jobs.get(jobId);
      return job && job.runs.size > 0 ? sortedRuns(job)[0]?.rec : undefined;
    },
    unfinished() {
      const found: RunRecord[] = [];
      for (const job of jobs.values()) for (const stored of job.runs.values()) if (isUnfinished(stored.rec)) found.push(stored.rec);
      return found;
    },
    async clear(jobId) {
      const job = jobFor(jobId);
      for (const [runId, stored] of job.runs) {
        if (byRunId.get(runId) === stored) byRunId.delete(runId);
        upserts.delete(runId);
      }
      job.runs.clear();
      job.sorted = undefined;
      job.ids = undefined;
      job.statuses.clear();
      // After any round in flight, so a record of this job written just before is deleted too.
      await enqueue(async () => {
        try {
          await db.query(`history: could not clear the runs of job ${jobId}`, 'DELETE FROM mxx_runs WHERE job_id = $1', [jobId]);
        } catch (error) {
          writeErrors++;
          onResult(error);
          throw error;
        }
        onResult(undefined);
      });
    },
    written: () => flush(),
    pull() {
      if (pulling) {
        pullAgain = true;
        return pulling;
      }
      pulling = (async () => {
        let absorbed = 0;
        do {
          pullAgain = false;
          absorbed += await pullOnce();
        } while (pullAgain);
        return absorbed;
      })().finally(() => {
        pulling = undefined;
      });
      return pulling;
    },
    count: (jobId) => jobs.get(jobId)?.runs.size ?? 0,
    flush,
    get writeErrors() {
      return writeErrors;
    },
  };
}
