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
import type { PostgresPool } from './connection.js';

export interface PostgresRegistryOptions {
  db: PostgresPool;
  /** Told about every statement's outcome (the store's `connected`). */
  onResult?: (error: unknown) => void;
}

const noop = (): void => undefined;

export function createPostgresRegistry(options: PostgresRegistryOptions): Registry {
  const { db } = options;
  const onResult = options.onResult ?? noop;
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
      await db.query(
        `registry: could not save job ${entry.job_id}`,
        `INSERT INTO mxx_jobs (id, entry, content_hash, revision, source) VALUES ($1, $2::jsonb, $3, 1, $4)
         ON CONFLICT (id) DO UPDATE SET entry = EXCLUDED.entry, content_hash = EXCLUDED.content_hash,
           revision = mxx_jobs.revision + 1, source = EXCLUDED.source, updated_at = now()`,
        [entry.job_id, json, hash, entry.source],
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
      await db.query(`registry: could not delete job ${id}`, 'DELETE FROM mxx_jobs WHERE id = $1', [id]);
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

  return {
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
    update: (id: string, patch: RegistryPatch) =>
      serial(async () => {
        const base = entries.get(id);
        if (!base) throw new MxxError('JOB_NOT_FOUND', `job \`${id}\` is not registered`);
        const next: Record<string, unknown> = { ...base, ...patch, job_id: base.job_id };
        for (const key of Object.keys(patch)) if (next[key] === undefined) delete next[key];
        const entry = next as unknown as RegistryEntry;
        await put(entry);
        return entry;
      }),
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
