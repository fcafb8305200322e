/**
 * Job definitions and their persistence in registry.json (`{version, entries}`). Reads are served from
 * memory; every change schedules one atomic rewrite of the whole file. Writes never overlap and are
 * coalesced: a burst of changes costs one write, plus at most one more for changes made while it ran.
 */
import { readFile, rename, stat } from 'node:fs/promises';
import { parseRegistryEntry, REGISTRY_VERSION, registryDocumentProblem } from './_registry-entry.js';
import { writeFileAtomic } from './atomic-file.js';
import { MxxError } from './errors.js';
import { assertJobId } from './job/id.js';
import { silentLogger, type Logger } from './logger.js';
import type { RegistryEntry } from './records.js';

export interface RegistryOptions {
  /** Path of registry.json. */
  file: string;
  /** @default silentLogger */
  logger?: Logger;
}

export interface Registry {
  /** Reads the file: missing = empty; corrupt = moved aside with one error line, then empty. */
  load(): Promise<void>;
  get(id: string): RegistryEntry | undefined;
  has(id: string): boolean;
  /** In insertion order; a replaced entry keeps its place. */
  list(): RegistryEntry[];
  /** Inserts or replaces; schedules a persist. */
  set(entry: RegistryEntry): void;
  /** Throws JOB_NOT_FOUND; a patch value of `undefined` removes that optional field. */
  update(id: string, patch: Partial<Omit<RegistryEntry, 'job_id'>>): RegistryEntry;
  delete(id: string): boolean;
  /** Resolves once every change made so far is durably on disk; rejects if that write failed. */
  flush(): Promise<void>;
  readonly size: number;
  /** Completed file writes since creation (diagnostics and tests). */
  readonly writes: number;
}

interface Waiter {
  target: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * A shallow copy, so a caller that keeps editing the object it passed to set() does not change stored
 * state without a persist. Not frozen: the supervisor edits the entries it got from list() and persists
 * them with update().
 */
function copy(entry: RegistryEntry): RegistryEntry {
  return { ...entry };
}

export function createRegistry(options: RegistryOptions): Registry {
  const { file } = options;
  const logger = options.logger ?? silentLogger;
  const entries = new Map<string, RegistryEntry>();
  // `generation` counts changes, `saved` is the generation known to be on disk.
  let generation = 0;
  let saved = 0;
  let failedAt = -1;
  let running = false;
  let writes = 0;
  let waiters: Waiter[] = [];
  let refusal: MxxError | undefined;

  // Stored entries are replaced, never changed in place (set copies, update builds a new one), so
  // each one's JSON can be kept: a rewrite of thousands of entries re-encodes only the changed ones.
  const lines_ = new WeakMap<RegistryEntry, string>();

  function serialize(): string {
    // One entry per line: still readable and diffable, without pretty-printing every nested key
    // (that doubled the cost of rewriting a registry of thousands of jobs).
    const lines = [...entries.values()].map((entry) => {
      let line = lines_.get(entry);
      if (line === undefined) lines_.set(entry, (line = JSON.stringify(entry)));
      return line;
    });
    return `{"version":${REGISTRY_VERSION},"entries":[\n${lines.join(',\n')}\n]}\n`;
  }

  function settle(target: number, error?: unknown): void {
    const rest: Waiter[] = [];
    for (const waiter of waiters) {
      if (waiter.target > target) rest.push(waiter);
      else if (error === undefined) waiter.resolve();
      else waiter.reject(error);
    }
    waiters = rest;
  }

  async function writeLoop(): Promise<void> {
    // Let the rest of the current tick's changes land first, so they share this write.
    await new Promise<void>((resolve) => setImmediate(resolve));
    for (;;) {
      const target = generation;
      try {
        await writeFileAtomic(file, serialize());
        writes++;
        saved = target;
        settle(target);
      } catch (error) {
        failedAt = target;
        logger.error(`registry: could not write ${file}; changes are kept in memory and retried on the next change`, { error });
        settle(target, new MxxError('INTERNAL', `could not write the registry ${file}`, { cause: error }));
      }
      // Decided synchronously with `running = false`: a change made after this point starts a new loop.
      if (saved >= generation || failedAt >= generation) {
        running = false;
        return;
      }
    }
  }

  function startWriting(): void {
    if (running) return;
    running = true;
    void writeLoop();
  }

  function assertWritable(): void {
    if (refusal) throw refusal;
  }

  function changed(): void {
    generation++;
    startWriting();
  }

  async function moveAside(reason: string): Promise<void> {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    let aside = `${file}.corrupt-${stamp}`;
    for (let n = 1; await exists(aside); n++) aside = `${file}.corrupt-${stamp}-${n}`;
    try {
      await rename(file, aside);
    } catch (error) {
      // Refuse rather than start empty: the next write would destroy the only copy.
      throw new MxxError('INTERNAL', `registry ${file} is corrupt (${reason}) and could not be moved aside`, {
        cause: error,
        hint: 'move the file away by hand, or fix it',
      });
    }
    logger.error(`registry ${file} is corrupt (${reason}); moved it to ${aside} and started with an empty registry`);
  }

  async function load(): Promise<void> {
    refusal = undefined;
    entries.clear();
    saved = generation;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      // Writing now would replace a file we never read.
      refusal = new MxxError('INTERNAL', `could not read the registry ${file}; refusing to overwrite it`, {
        cause: error,
        hint: 'check the file and its permissions',
      });
      throw refusal;
    }
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch (error) {
      const detail = text.trim() === '' ? 'the file is empty' : `not valid JSON: ${(error as Error).message}`;
      return moveAside(detail);
    }
    const problem = registryDocumentProblem(document);
    if (problem !== undefined) return moveAside(problem);
    const { version, entries: stored } = document as { version: number; entries: unknown[] };
    if (version > REGISTRY_VERSION) {
      refusal = new MxxError(
        'INTERNAL',
        `registry ${file} has format version ${version}, newer than this mxx understands (${REGISTRY_VERSION}); refusing to use or overwrite it`,
        { hint: 'upgrade mxx, or move the file away to start with an empty registry' },
      );
      throw refusal;
    }
    stored.forEach((value, index) => {
      const parsed = parseRegistryEntry(value);
      const name = `entry #${index + 1}${describeId(value)}`;
      if ('problems' in parsed) {
        logger.warn(`registry ${file}: skipped ${name}: ${parsed.problems.join('; ')}`);
      } else if (entries.has(parsed.entry.job_id)) {
        logger.warn(`registry ${file}: skipped ${name}: the id is already taken by an earlier entry`);
      } else {
        entries.set(parsed.entry.job_id, parsed.entry);
      }
    });
  }

  return {
    load,
    get: (id) => entries.get(id),
    has: (id) => entries.has(id),
    list: () => [...entries.values()],
    set(entry) {
      assertWritable();
      assertJobId(entry.job_id);
      entries.set(entry.job_id, copy(entry));
      changed();
    },
    update(id, patch) {
      assertWritable();
      const current = entries.get(id);
      if (!current) throw new MxxError('JOB_NOT_FOUND', `job \`${id}\` is not registered`);
      const next: Record<string, unknown> = { ...current, ...patch, job_id: current.job_id };
      for (const key of Object.keys(patch)) if (next[key] === undefined) delete next[key];
      const entry = next as unknown as RegistryEntry;
      entries.set(id, entry);
      changed();
      return entry;
    },
    delete(id) {
      assertWritable();
      if (!entries.delete(id)) return false;
      changed();
      return true;
    },
    flush() {
      if (saved >= generation) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        waiters.push({ target: generation, resolve, reject });
        startWriting();
      });
    },
    get size() {
      return entries.size;
    },
    get writes() {
      return writes;
    },
  };
}

function describeId(value: unknown): string {
  const id = typeof value === 'object' && value !== null ? (value as { job_id?: unknown }).job_id : undefined;
  return id === undefined ? '' : ` (job_id ${JSON.stringify(id)})`;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
