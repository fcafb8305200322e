/**
 * Job files → supervisor. One file is applied at a time: parse + validate, then register (or keep
 * the last good definition and record the error). The start-up load and the watcher share this.
 */
import { readdir } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { isMxxError } from './errors.js';
import { jobFileInfo, loadJobFile, syntaxErrorLocation } from './job/load-file.js';
import type { JobDefinition } from './job/types.js';
import type { RegistryEntry } from './records.js';
import { isOwnFileEntry } from './supervisor/file-owner.js';
import type { Supervisor } from './supervisor/index.js';
import type { LoadErrorOptions } from './supervisor/load-errors.js';

const READ_CONCURRENCY = 32;

export type ApplyOutcome = 'registered' | 'replaced' | 'unchanged' | 'failed' | 'ignored';

function messageOf(error: unknown): string {
  return isMxxError(error) || error instanceof Error ? error.message : String(error);
}

/** Why a job file could not be applied: its error and, for a syntax error, where. */
type Failed = { kind: 'failed'; jobId: string | null; error: string; line?: number; column?: number };

/** A job file read and validated, or why it could not be. */
type Loaded = { kind: 'ignored' } | Failed | { kind: 'ok'; id: string; def: JobDefinition };

/** The slow, independent part of loading a file (I/O and parsing): safe to run for many files at once. */
async function readJobFile(file: string): Promise<Loaded> {
  let info: ReturnType<typeof jobFileInfo>;
  try {
    info = jobFileInfo(file);
  } catch (error) {
    return { kind: 'failed', jobId: null, error: messageOf(error) };
  }
  if (!info) return { kind: 'ignored' };
  try {
    return { kind: 'ok', id: info.id, def: await loadJobFile(file) };
  } catch (error) {
    return { kind: 'failed', jobId: info.id, error: messageOf(error), ...syntaxErrorLocation(error) };
  }
}

/** Loads or reloads one job file. Never throws: a bad file becomes a recorded load error. */
export async function applyJobFile(supervisor: Supervisor, path: string): Promise<ApplyOutcome> {
  const file = resolve(path);
  const loaded = await readJobFile(file);
  noteRead(supervisor, file, loaded);
  return commit(supervisor, file, decide(supervisor, file, loaded, (id) => supervisor.entry(id)));
}

/** Remembers which id each file of the folder defines, so another server's change of it re-applies the file. */
function noteRead(supervisor: Supervisor, file: string, loaded: Loaded): void {
  const id = loaded.kind === 'ok' ? loaded.id : loaded.kind === 'failed' ? loaded.jobId : null;
  supervisor.noteFolderFile(file, id);
}

/** Who holds an id: the registry, or (during a folder load) a file already chosen for it. */
type OwnerOf = (id: string) => (Pick<RegistryEntry, 'source' | 'file' | 'node'> & Partial<Pick<RegistryEntry, 'config' | 'schedule'>>) | undefined;

type Decision =
  | { kind: 'ignored' }
  | Failed
  | { kind: 'unchanged'; id: string }
  /** Another server's folder defines the job with the same content: one job, nothing to write. */
  | { kind: 'shared'; id: string; node: string }
  | { kind: 'register'; id: string; def: JobDefinition; replacing: boolean };

/** What to do with what was read; decided in order, since which of two files for one id wins depends on it. */
function decide(supervisor: Supervisor, file: string, loaded: Loaded, ownerOf: OwnerOf): Decision {
  if (loaded.kind !== 'ok') return loaded;
  const { id, def } = loaded;
  const owner = ownerOf(id);
  if (owner?.source === 'file' && !isOwnFileEntry(owner, supervisor.nodeId)) {
    // Several servers on one store: another server's jobs folder defines this id.
    const same = JSON.stringify([owner.config, owner.schedule]) === JSON.stringify([def.config, def.scheduleDoc]);
    if (same) return { kind: 'shared', id, node: owner.node! };
    return {
      kind: 'failed',
      jobId: id,
      error:
        `${basename(file)}: conflict: job id ${id} is already defined differently by the jobs folder of server ${owner.node} (${owner.file}); ` +
        'its definition stays in force. Make the two files identical, or rename one of them',
    };
  }
  if (owner && (owner.source !== 'file' || owner.file !== file)) {
    // Two definitions for one id: the one registered first keeps it.
    if (owner.source === 'api') {
      return { kind: 'failed', jobId: id, error: `${basename(file)}: job id ${id} is already registered over the API; unregister it first (mxx unregister ${id})` };
    }
    if (owner.file && existsSync(owner.file)) {
      return { kind: 'failed', jobId: id, error: `${basename(file)}: job id ${id} is already defined by ${owner.file}; rename one of the files` };
    }
  }
  const stored = supervisor.entry(id);
  const same =
    stored?.file === file &&
    JSON.stringify(stored.config) === JSON.stringify(def.config) &&
    JSON.stringify(stored.schedule) === JSON.stringify(def.scheduleDoc) &&
    supervisor.hasJob(id);
  return same ? { kind: 'unchanged', id } : { kind: 'register', id, def, replacing: stored !== undefined };
}

async function commit(supervisor: Supervisor, file: string, decision: Decision): Promise<ApplyOutcome> {
  if (decision.kind === 'ignored') return 'ignored';
  if (decision.kind === 'failed') return fail(supervisor, file, decision.jobId, decision.error, { line: decision.line, column: decision.column });
  const { id } = decision;
  if (decision.kind === 'shared') {
    const hadConflict = supervisor.loadErrorOf(file) !== undefined;
    guarded(supervisor, file, () => supervisor.clearLoadError(file));
    if (hadConflict) supervisor.logger.info(`job file ${file} now matches job ${id} as server ${decision.node} loaded it`, { job: id });
    return 'unchanged';
  }
  if (decision.kind === 'register') {
    try {
      await supervisor.register(decision.def, { source: 'file', file, replace: true });
    } catch (error) {
      // Not saved (full or read-only disk): nothing changed; the watcher tries again by itself.
      return fail(supervisor, file, id, `${basename(file)}: job ${id} could not be registered: ${messageOf(error)}`, {
        transient: isStorageFault(error),
      });
    }
  }
  const hadError = supervisor.loadErrorOf(file) !== undefined;
  guarded(supervisor, file, () => supervisor.clearLoadError(file));
  if (hadError) supervisor.logger.info(`job file ${file} loads again`, { job: id });
  return decision.kind === 'unchanged' ? 'unchanged' : decision.replacing ? 'replaced' : 'registered';
}

/** Marking an entry's load error persists it; a storage fault there must not undo the file's outcome. */
function guarded(supervisor: Supervisor, file: string, change: () => void): void {
  try {
    change();
  } catch (error) {
    supervisor.logger.warn(`job file ${file}: its load error could not be saved in the registry`, { error: messageOf(error) });
  }
}

/** A change refused because it could not be saved, not because of the file: worth trying again. */
function isStorageFault(error: unknown): boolean {
  return isMxxError(error) && (error.code === 'STORAGE_UNAVAILABLE' || error.code === 'SERVER_STARTING');
}

function fail(supervisor: Supervisor, file: string, jobId: string | null, error: string, options: LoadErrorOptions = {}): ApplyOutcome {
  const known = supervisor.loadErrorOf(file);
  // The one place a load failure is logged, once: not again on every save that leaves it bad the same way.
  if (known?.error !== error) {
    const kept = jobId !== null && supervisor.entry(jobId)?.file === file;
    supervisor.logger.error(`job file ${file} failed to load${kept ? '; the last good definition stays active' : ''}`, {
      error,
    });
  }
  guarded(supervisor, file, () => supervisor.setLoadError(file, jobId, error, options));
  return 'failed';
}

/**
 * A job file disappeared: its job is unregistered (a run in progress finishes), and another file
 * that claims the same id, refused while this one owned it, is loaded in its place at once.
 */
export async function removeJobFile(supervisor: Supervisor, path: string): Promise<boolean> {
  const file = resolve(path);
  const known = supervisor.loadErrorOf(file);
  supervisor.clearLoadError(file);
  supervisor.noteFolderFile(file, null);
  const owned = supervisor.fileJobs().find((job) => job.file === file);
  if (!owned) return false;
  try {
    await supervisor.unregister(owned.jobId, 'file');
  } catch (error) {
    const message = `job file ${file} removed, but job ${owned.jobId} could not be unregistered`;
    const recorded = `${basename(file)}: ${message}: ${messageOf(error)}`;
    // Logged once, not on every retry that fails the same way.
    if (known?.error !== recorded) supervisor.logger.error(`${message}; it is tried again`, { error: messageOf(error) });
    // Kept as a load error of the (gone) file, so the watcher's retry unregisters it once it can.
    guarded(supervisor, file, () => supervisor.setLoadError(file, owned.jobId, recorded, { transient: isStorageFault(error) }));
    return false;
  }
  // The server log's `job removed … source=file file=…` line says it (src/server-log.ts).
  await loadRefusedClaims(supervisor, owned.jobId);
  return true;
}

/**
 * Re-applies, in name order (as at start), the files whose load failed for `id`: the first valid
 * one registers, the others are refused again naming the new owner. A file refused for its own
 * content fails the same way and is not logged again. Also for after `id` is unregistered over
 * the API, which a job file claiming it was waiting for.
 */
export async function loadRefusedClaims(supervisor: Supervisor, id: string): Promise<void> {
  const claims = supervisor
    .listLoadErrors()
    .filter((e) => e.jobId === id && existsSync(e.file))
    .map((e) => e.file)
    .sort();
  for (const file of claims) {
    if ((await applyJobFile(supervisor, file)) !== 'failed') {
      supervisor.logger.info(`job file ${file} now defines job ${id}`);
    }
  }
}

export interface FolderLoad {
  loaded: number;
  failed: Array<{ file: string; error: string }>;
}

/** Loads every job file of `dir` and unregisters file jobs whose file is gone. */
export async function loadJobsFolder(supervisor: Supervisor, dir: string): Promise<FolderLoad> {
  const names = (await readdir(dir, { withFileTypes: true }).catch(() => []))
    .filter((d) => d.isFile())
    .map((d) => d.name)
    .sort();
  const files = names.map((name) => join(resolve(dir), name));
  // Read and parse concurrently (the disk waits overlap), then register in name order.
  const results: Loaded[] = new Array(files.length);
  let next = 0;
  const reader = async (): Promise<void> => {
    for (let i = next++; i < files.length; i = next++) results[i] = await readJobFile(files[i]!);
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, files.length) }, reader));
  files.forEach((file, i) => noteRead(supervisor, file, results[i]!));
  // Decide in name order (a file chosen for an id owns it for the files after it), then register
  // concurrently: the registry coalesces the writes.
  const chosen = new Map<string, string>();
  const ownerOf: OwnerOf = (id) => (chosen.has(id) ? { source: 'file', file: chosen.get(id) } : supervisor.entry(id));
  const present = new Set<string>();
  const commits = files.map((file, i) => {
    const decision = decide(supervisor, file, results[i]!, ownerOf);
    if (decision.kind !== 'ignored') present.add(file);
    if (decision.kind === 'register' || decision.kind === 'unchanged' || decision.kind === 'shared') chosen.set(decision.id, file);
    return commit(supervisor, file, decision);
  });
  await Promise.all(commits);
  for (const { file } of supervisor.fileJobs()) {
    if (!present.has(file)) await removeJobFile(supervisor, file);
  }
  const failed = supervisor.listLoadErrors().map(({ file, error }) => ({ file, error }));
  const failedFiles = new Set(failed.map((f) => f.file));
  const loaded = supervisor.fileJobs().filter((job) => !failedFiles.has(job.file)).length;
  return { loaded, failed };
}
