/**
 * The Registry on PostgreSQL (table mxx_jobs). Reads come from memory; a change is one statement,
 * applied in memory only once the database committed it, so a failed write rejects (a StoreError:
 * STORE_UNREACHABLE, STORE_QUERY_FAILED, …) and leaves get/list as they were. Changes run one at
 * a time in call order, each built on the ones before it that succeeded.
 */
import { createHash } from 'node:crypto';
import { MxxError } from '../../errors.js';
import { assertJobId } from '../../job/id.js';
import type { RegistryEntry } from '../../records.js';
import type { Registry, RegistryPatch } from '../../registry/index.js';
import { CHANGES_CHANNEL } from './changes.js';
import type { PostgresPool } from './connection.js';

export interface PostgresRegistryOptions {
  db: PostgresPool;
  /** Told about every statement's outcome (the store's `connected`). */
  onResult?: (error: unknown) => void;
  /**
   * Several servers: every change also sends a change notice ('job', id) from this origin, in the
   * same statement (so it is delivered exactly when the change commits).
   */
  origin?: string;
}

/** The registry of the PostgreSQL store, with what several servers need beyond a Registry. */
export interface PostgresRegistry extends Registry {
  /**
   * Reads one job's row again (another server changed it) into memory, after every change of this
   * server before it: the entry now stored, or undefined when the job is gone.
   */
  reload(id: string): Promise<RegistryEntry | undefined>;
}

const noop = (): void => undefined;

export function createPostgresRegistry(options: PostgresRegistryOptions): PostgresRegistry {
  const { db } = options;
  const onResult = options.onResult ?? noop;
  // The statement's last step: a change notice where several servers share the store, else nothing.
  const notice = (id: string): { text: string; values: unknown[] } =>
    options.origin === undefined
      ? { text: 'SELECT 1 FROM w', values: [] }
      : { text: 'SELECT pg_notify($N1, $N2) FROM w', values: [CHANGES_CHANNEL, JSON.stringify({ kind: 'job', id, origin: options.origin })] };
  /** Numbers a notice's placeholders after the statement's own `count` values. */
  const withNotice = (id: string, count: number): { sql: string; values: unknown[] } => {
    const n = notice(id);
    return { sql: n.text.replace('$N1', `$${count + 1}`).replace('$N2', `$${count + 2}`), values: n.values };
  };
  let entries = new Map<string, RegistryEntry>();
  let chain: Promise<unknown> = Promise.resolve();
  const inFlight = new Set<Promise<unknown>>();
  let loading = false;
  let writes = 0;
  let bytesWritten = 0;
  let writeErrors = 0;

  /** Runs `change` after every change before it; the promise never causes an unhandled rejection. */
  function serial<T>(change: () => Promise<T>): Promise<T> {
    if (loading) return quiet(Promise.reject(new MxxError('SERVER_STARTING', `the registry ${db.options.redactedUrl} is still loading`, { hint: 'retry in a moment' })));
    const done = chain.then(change);
    chain = done.catch(noop);
    inFlight.add(done);
    void done.then(
      () => inFlight.delete(done),
      () => inFlight.delete(done),
    );
    return quiet(done);
  }

  async function put(entry: RegistryEntry): Promise<void> {
    const json = JSON.stringify(entry);
    const hash = createHash('sha256').update(JSON.stringify([entry.config, entry.schedule])).digest('hex');
    try {
      const n = withNotice(entry.job_id, 4);
      await db.query(
        `registry: could not save job ${entry.job_id}`,
        `WITH w AS (
           INSERT INTO mxx_jobs (id, entry, content_hash, revision, source) VALUES ($1, $2::jsonb, $3, 1, $4)
           ON CONFLICT (id) DO UPDATE SET entry = EXCLUDED.entry, content_hash = EXCLUDED.content_hash,
             revision = mxx_jobs.revision + 1, source = EXCLUDED.source, updated_at = now()
           RETURNING 1
         ) ${n.sql}`,
        [entry.job_id, json, hash, entry.source, ...n.values],
      );
    } catch (error) {
      writeErrors++;
      onResult(error);
      throw error;
    }
    onResult(undefined);
    writes++;
    bytesWritten += Buffer.byteLength(json);
    entries.set(entry.job_id, entry);
  }

  async function remove(id: string): Promise<boolean> {
    if (!entries.has(id)) return false;
    try {
      const n = withNotice(id, 1);
      await db.query(`registry: could not delete job ${id}`, `WITH w AS (DELETE FROM mxx_jobs WHERE id = $1 RETURNING 1) ${n.sql}`, [id, ...n.values]);
    } catch (error) {
      writeErrors++;
      onResult(error);
      throw error;
    }
    onResult(undefined);
    writes++;
    entries.delete(id);
    return true;
  }

  /**
   * Merges `patch` into the stored row on the database side: a server whose memory is a moment
   * behind another's change (a pause made elsewhere) never writes the fields it did not change.
   */
  async function patchEntry(id: string, patch: RegistryPatch): Promise<RegistryEntry> {
    if (!entries.has(id)) throw new MxxError('JOB_NOT_FOUND', `job \`${id}\` is not registered`);
    const set: Record<string, unknown> = {};
    const unset: string[] = [];
    for (const [key, value] of Object.entries(patch)) {
      if (key === 'job_id') continue;
      if (value === undefined) unset.push(key);
      else set[key] = value;
    }
    const json = JSON.stringify(set);
    let rows: { entry: RegistryEntry }[];
    // Run counters change every second on a busy job: the other servers need no notice of them.
    const countersOnly = Object.keys(patch).every((key) => key === 'execution_count' || key === 'last_triggered');
    try {
      const n = countersOnly ? { sql: 'SELECT 1 FROM w', values: [] } : withNotice(id, 3);
      ({ rows } = await db.query<{ entry: RegistryEntry }>(
        `registry: could not save job ${id}`,
        `WITH w AS (
           UPDATE mxx_jobs SET entry = (entry - $3::text[]) || $2::jsonb, revision = revision + 1, updated_at = now()
           WHERE id = $1 RETURNING entry
         ), n AS (${n.sql}) SELECT entry FROM w, (SELECT count(*) FROM n) AS sent`,
        [id, json, unset, ...n.values],
      ));
    } catch (error) {
      writeErrors++;
      onResult(error);
      throw error;
    }
    onResult(undefined);
    const entry = rows[0]?.entry;
    if (!entry) {
      entries.delete(id);
      throw new MxxError('JOB_NOT_FOUND', `job \`${id}\` is not registered (another server removed it)`);
    }
    writes++;
    bytesWritten += Buffer.byteLength(json);
    entries.set(id, entry);
    return entry;
  }

  async function reloadEntry(id: string): Promise<RegistryEntry | undefined> {
    const { rows } = await db.query<{ entry: RegistryEntry }>(`registry: could not read job ${id}`, 'SELECT entry FROM mxx_jobs WHERE id = $1', [id]);
    const entry = rows[0]?.entry;
    if (entry) entries.set(id, entry);
    else entries.delete(id);
    return entry;
  }

  return {
    reload: (id) => serial(() => reloadEntry(id)),
    async load() {
      loading = true;
      try {
        await chain;
        const { rows } = await db.query<{ entry: RegistryEntry }>('registry: could not load the jobs', 'SELECT entry FROM mxx_jobs ORDER BY position');
        onResult(undefined);
        entries = new Map(rows.map((row) => [row.entry.job_id, row.entry]));
      } catch (error) {
        onResult(error);
        throw error;
      } finally {
        loading = false;
      }
    },
    get: (id) => entries.get(id),
    has: (id) => entries.has(id),
    list: () => [...entries.values()],
    set(entry) {
      try {
        assertJobId(entry.job_id);
      } catch (error) {
        return quiet(Promise.reject(error));
      }
      // A shallow copy: a caller that keeps editing its object must not change stored state.
      const copy = { ...entry };
      return serial(() => put(copy));
    },
    update: (id: string, patch: RegistryPatch) => serial(() => patchEntry(id, patch)),
    delete: (id) => serial(() => remove(id)),
    async flush() {
      const results = await Promise.allSettled([...inFlight]);
      const failure = results.find((result) => result.status === 'rejected');
      if (failure) throw failure.reason;
    },
    // Every change is already in the database: nothing to fold in.
    compact: () => Promise.resolve(),
    get size() {
      return entries.size;
    },
    get writes() {
      return writes;
    },
    get bytesWritten() {
      return bytesWritten;
    },
    get writeErrors() {
      return writeErrors;
    },
  };
}

/** Attaches a handler so a caller that never awaits `promise` causes no unhandled rejection. */
function quiet<T>(promise: Promise<T>): Promise<T> {
  promise.catch(noop);
  return promise;
}
