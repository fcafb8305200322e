/**
 * Job definitions and their persistence. Reads are served from memory, which holds only changes that
 * are on disk: a change is appended to the journal (fdatasync'd; all changes of a tick share one
 * append), and applied in memory once that append succeeded. registry.json is the compacted truth,
 * rewritten atomically when the journal has grown past both `compactMinBytes` and twice its size,
 * and on compact(). Stored entries are replaced, never changed in place: get() and list() hand out
 * the stored objects themselves, which callers must not edit (copy, then update()).
 */
import { dirname } from 'node:path';
import { writeFileAtomic } from '../atomic-file.js';
import { MxxError } from '../errors.js';
import { assertJobId } from '../job/id.js';
import { silentLogger, type Logger } from '../logger.js';
import type { RegistryEntry } from '../records.js';
import { serializeRegistry } from './document.js';
import { appendBatch, encodeBatch, removeJournal, type JournalChange } from './journal.js';
import { loadRegistry } from './load.js';
import { storageUnavailable } from './storage-error.js';

export interface RegistryOptions {
  /** Path of registry.json. */
  file: string;
  /** Path of the journal. @default `file` with `.json` replaced by `.journal` */
  journal?: string;
  /** @default silentLogger */
  logger?: Logger;
  /** The journal is compacted once it is larger than this and than twice registry.json. @default 256 KiB */
  compactMinBytes?: number;
}

export type RegistryPatch = Partial<Omit<RegistryEntry, 'job_id'>>;

export interface Registry {
  /**
   * Reads registry.json and replays the journal over it into a fresh map, swapped in when complete;
   * changes are refused (SERVER_STARTING) meanwhile. Missing = empty; a corrupt registry.json or
   * journal is moved aside with one error line.
   */
  load(): Promise<void>;
  /** The stored entry (not a copy: read it, do not edit it). */
  get(id: string): RegistryEntry | undefined;
  has(id: string): boolean;
  /** The stored entries (not copies), in insertion order; a replaced entry keeps its place. */
  list(): RegistryEntry[];
  /**
   * Inserts or replaces. Each change resolves once it is durable and visible to get/list; if it cannot
   * be saved it rejects with STORAGE_UNAVAILABLE and nothing was changed. A caller need not await it:
   * no change ever causes an unhandled rejection.
   */
  set(entry: RegistryEntry): Promise<void>;
  /** Rejects with JOB_NOT_FOUND for an unknown id; a patch value of `undefined` removes that optional field. */
  update(id: string, patch: RegistryPatch): Promise<RegistryEntry>;
  /** Resolves false, without writing, when the id is not registered. */
  delete(id: string): Promise<boolean>;
  /** Resolves once every change made so far is settled; rejects if one of them could not be saved. */
  flush(): Promise<void>;
  /**
   * Writes registry.json with every change and removes the journal (clean shutdown, tests). Does
   * nothing after a failed load(): writing then would replace files that could not be read.
   */
  compact(): Promise<void>;
  readonly size: number;
  /** Completed fsynced writes (journal appends and compactions) since creation. */
  readonly writes: number;
  /** Bytes those writes wrote. */
  readonly bytesWritten: number;
  /** Writes that failed (each refused batch, each failed compaction). */
  readonly writeErrors: number;
}

interface Change {
  id: string;
  /** The new entry, or null for a delete. */
  entry: RegistryEntry | null;
  done: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

/** Intended state of an id with changes on their way to disk: what the next change builds on. */
interface Intent {
  entry: RegistryEntry | null;
  pending: number;
}

const noop = (): void => undefined;

/** Attaches a handler so a caller that never awaits `promise` causes no unhandled rejection. */
function quiet<T>(promise: Promise<T>): Promise<T> {
  promise.catch(noop);
  return promise;
}

function attempt<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return quiet(fn());
  } catch (error) {
    return quiet(Promise.reject(error));
  }
}

export function createRegistry(options: RegistryOptions): Registry {
  const { file } = options;
  const journal = options.journal ?? `${file.replace(/\.json$/, '')}.journal`;
  const logger = options.logger ?? silentLogger;
  const compactMinBytes = options.compactMinBytes ?? 256 * 1024;
  let entries = new Map<string, RegistryEntry>();
  const intents = new Map<string, Intent>();
  let queue: Change[] = [];
  let inFlight: Change[] = [];
  let compactWaiters: Array<{ resolve: () => void; reject: (error: unknown) => void }> = [];
  let idleWaiters: Array<() => void> = [];
  let running = false;
  let loading = false;
  let refusal: MxxError | undefined;
  /** Last journal sequence number handed out (refused batches burn theirs). */
  let seq = 0;
  let journalBytes = 0;
  let documentBytes = 0;
  /** After a failed background compaction, wait for this much more journal before trying again. */
  let compactAfter = 0;
  let mustCompact = false;
  let failures = 0;
  let writes = 0;
  let bytesWritten = 0;
  let writeErrors = 0;

  // Stored entries are replaced, never changed in place (set copies, update builds a new one, and
  // readers do not edit them), so each one's JSON is encoded once, for the journal, and reused by
  // every compaction.
  const json = new WeakMap<RegistryEntry, string>();
  function jsonOf(entry: RegistryEntry): string {
    let text = json.get(entry);
    if (text === undefined) json.set(entry, (text = JSON.stringify(entry)));
    return text;
  }

  function current(id: string): RegistryEntry | undefined {
    const intent = intents.get(id);
    return intent ? (intent.entry ?? undefined) : entries.get(id);
  }

  function assertWritable(): void {
    if (loading) throw new MxxError('SERVER_STARTING', `the registry ${file} is still loading`, { hint: 'retry in a moment' });
    if (refusal) throw refusal;
  }

  function enqueue(id: string, entry: RegistryEntry | null): Promise<void> {
    const intent = intents.get(id);
    if (intent) {
      intent.entry = entry;
      intent.pending++;
    } else {
      intents.set(id, { entry, pending: 1 });
    }
    let settle!: Pick<Change, 'resolve' | 'reject'>;
    const done = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    queue.push({ id, entry, done: quiet(done), ...settle });
    start();
    return done;
  }

  function saved(): void {
    if (failures > 0) logger.info(`registry: saving ${journal} works again after ${failures} failed write(s)`);
    failures = 0;
  }

  function failed(error: unknown, what: string): void {
    writeErrors++;
    // One line per episode: a full disk refuses every change until space returns.
    if (failures++ === 0) logger.warn(`registry: could not ${what}; changes are refused until the disk accepts writes again`, { error });
  }

  async function compactNow(): Promise<void> {
    const text = serializeRegistry([...entries.values()].map(jsonOf), seq);
    await writeFileAtomic(file, text);
    writes++;
    bytesWritten += Buffer.byteLength(text);
    documentBytes = Buffer.byteLength(text);
    mustCompact = false;
    // If this fails the journal only holds changes registry.json now includes (seq): harmless.
    await removeJournal(journal);
    journalBytes = 0;
  }

  async function compactIfDue(): Promise<void> {
    const limit = Math.max(compactMinBytes, 2 * documentBytes);
    if (!mustCompact && (journalBytes <= limit || journalBytes <= compactAfter)) return;
    try {
      await compactNow();
      compactAfter = 0;
    } catch (error) {
      failed(error, `compact the journal into ${file}`);
      compactAfter = journalBytes + limit;
    }
  }

  async function writeBatch(): Promise<void> {
    await compactIfDue();
    const batch = (inFlight = queue);
    queue = [];
    const changes: JournalChange[] = batch.map(({ id, entry }) => (entry ? { op: 'put', id, json: jsonOf(entry) } : { op: 'del', id }));
    const text = encodeBatch(changes, seq + 1);
    seq += batch.length;
    try {
      await appendBatch(journal, journalBytes, text);
    } catch (error) {
      failed(error, `save ${journal}`);
      const refused = storageUnavailable(error, journal, dirname(journal));
      // Later changes were built on the refused ones: refuse them too, and start over from memory.
      const dropped = [...batch, ...queue];
      queue = [];
      inFlight = [];
      intents.clear();
      for (const change of dropped) change.reject(refused);
      return;
    }
    writes++;
    bytesWritten += Buffer.byteLength(text);
    journalBytes += Buffer.byteLength(text);
    saved();
    inFlight = [];
    for (const change of batch) {
      if (change.entry) entries.set(change.id, change.entry);
      else entries.delete(change.id);
      const intent = intents.get(change.id);
      if (intent && --intent.pending === 0) intents.delete(change.id);
      change.resolve();
    }
  }

  async function writeLoop(): Promise<void> {
    // Let the rest of the current tick's changes land first, so they share this write.
    await new Promise<void>((resolve) => setImmediate(resolve));
    for (;;) {
      if (queue.length > 0) {
        await writeBatch();
      } else if (compactWaiters.length > 0) {
        const waiters = compactWaiters;
        compactWaiters = [];
        try {
          await compactNow();
          saved();
          for (const waiter of waiters) waiter.resolve();
        } catch (error) {
          failed(error, `compact the journal into ${file}`);
          const refused = storageUnavailable(error, file, dirname(file));
          for (const waiter of waiters) waiter.reject(refused);
        }
      } else {
        break;
      }
    }
    running = false;
    for (const resolve of idleWaiters.splice(0)) resolve();
  }

  function start(): void {
    if (running) return;
    running = true;
    void writeLoop();
  }

  async function load(): Promise<void> {
    loading = true;
    try {
      if (running) await new Promise<void>((resolve) => idleWaiters.push(resolve));
      const loaded = await loadRegistry(file, journal, logger);
      entries = loaded.entries;
      seq = loaded.seq;
      documentBytes = loaded.bytes;
      journalBytes = loaded.journalBytes;
      mustCompact = loaded.mustCompact;
      refusal = undefined;
    } catch (error) {
      // Writing now would replace files we could not read.
      refusal = error instanceof MxxError ? error : new MxxError('INTERNAL', `could not load the registry ${file}`, { cause: error });
      loading = false;
      throw refusal;
    }
    // Still refusing changes: nothing else may write while the moved journal's changes are saved.
    if (mustCompact) await compactNow().catch((error: unknown) => failed(error, `compact ${file} after moving the damaged journal aside`));
    loading = false;
  }

  return {
    load,
    get: (id) => entries.get(id),
    has: (id) => entries.has(id),
    list: () => [...entries.values()],
    set: (entry) =>
      attempt(() => {
        assertWritable();
        assertJobId(entry.job_id);
        // A shallow copy: a caller that keeps editing its object must not change stored state.
        return enqueue(entry.job_id, { ...entry });
      }),
    update: (id, patch) =>
      attempt(() => {
        assertWritable();
        const base = current(id);
        if (!base) throw new MxxError('JOB_NOT_FOUND', `job \`${id}\` is not registered`);
        const next: Record<string, unknown> = { ...base, ...patch, job_id: base.job_id };
        for (const key of Object.keys(patch)) if (next[key] === undefined) delete next[key];
        const entry = next as unknown as RegistryEntry;
        return enqueue(id, entry).then(() => entry);
      }),
    delete: (id) =>
      attempt(() => {
        assertWritable();
        if (!current(id)) return Promise.resolve(false);
        return enqueue(id, null).then(() => true);
      }),
    async flush() {
      const results = await Promise.allSettled([...inFlight, ...queue].map((change) => change.done));
      const failure = results.find((result) => result.status === 'rejected');
      if (failure) throw failure.reason;
    },
    compact() {
      if (refusal) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        compactWaiters.push({ resolve, reject });
        start();
      });
    },
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
