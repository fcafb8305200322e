/**
 * Job files → supervisor. One file is applied at a time: parse + validate, then register (or keep
 * the last good definition and record the error). The start-up load and the watcher share this.
 */
import { readdir } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { isMxxError } from './errors.js';
import { jobFileInfo, loadJobFile } from './job/parse.js';
import type { JobDefinition } from './job/types.js';
import type { Supervisor } from './supervisor/index.js';

const READ_CONCURRENCY = 32;

export type ApplyOutcome = 'registered' | 'replaced' | 'unchanged' | 'failed' | 'ignored';

function messageOf(error: unknown): string {
  return isMxxError(error) || error instanceof Error ? error.message : String(error);
}

/** A job file read and validated, or why it could not be. */
type Loaded =
  | { kind: 'ignored' }
  | { kind: 'failed'; jobId: string | null; error: string }
  | { kind: 'ok'; id: string; def: JobDefinition };

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
    return { kind: 'failed', jobId: info.id, error: messageOf(error) };
  }
}

/** Loads or reloads one job file. Never throws: a bad file becomes a recorded load error. */
export async function applyJobFile(supervisor: Supervisor, path: string): Promise<ApplyOutcome> {
  const file = resolve(path);
  return applyLoaded(supervisor, file, await readJobFile(file));
}

/** Registers what was read, in order: which of two files for one id wins depends on it. */
function applyLoaded(supervisor: Supervisor, file: string, loaded: Loaded): ApplyOutcome {
  if (loaded.kind === 'ignored') return 'ignored';
  if (loaded.kind === 'failed') return fail(supervisor, file, loaded.jobId, loaded.error);
  const { id, def } = loaded;
  const owner = supervisor.registry.get(id);
  if (owner && (owner.source !== 'file' || owner.file !== file)) {
    // Two definitions for one id: the one registered first keeps it.
    if (owner.source === 'api') {
      return fail(supervisor, file, id, `${basename(file)}: job id ${id} is already registered over the API; unregister it first (mxx unregister ${id})`);
    }
    if (owner.file && existsSync(owner.file)) {
      return fail(supervisor, file, id, `${basename(file)}: job id ${id} is already defined by ${owner.file}; rename one of the files`);
    }
  }
  const same =
    owner?.file === file &&
    JSON.stringify(owner.config) === JSON.stringify(def.config) &&
    JSON.stringify(owner.schedule) === JSON.stringify(def.scheduleDoc) &&
    supervisor.hasJob(id);
  const hadError = supervisor.loadErrorOf(file) !== undefined;
  supervisor.clearLoadError(file);
  if (hadError) supervisor.logger.info(`job file ${file} loads again`, { job: id });
  if (same) return 'unchanged';
  supervisor.register(def, { source: 'file', file, replace: true });
  return owner ? 'replaced' : 'registered';
}

function fail(supervisor: Supervisor, file: string, jobId: string | null, error: string): ApplyOutcome {
  const known = supervisor.loadErrorOf(file);
  // Log a bad file once, not on every save that leaves it bad in the same way.
  if (known?.error !== error) {
    const kept = jobId !== null && supervisor.registry.get(jobId)?.file === file;
    supervisor.logger.error(`job file ${file} failed to load${kept ? '; the last good definition stays active' : ''}`, {
      error,
    });
  }
  supervisor.setLoadError(file, jobId, error);
  return 'failed';
}

/** A job file disappeared: its job is unregistered (a run in progress finishes). */
export function removeJobFile(supervisor: Supervisor, path: string): boolean {
  const file = resolve(path);
  supervisor.clearLoadError(file);
  const entry = supervisor.registry.list().find((e) => e.source === 'file' && e.file === file);
  if (!entry) return false;
  supervisor.unregister(entry.job_id, 'file');
  supervisor.logger.info(`job file ${file} removed; job ${entry.job_id} unregistered`);
  return true;
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
  const present = new Set<string>();
  files.forEach((file, i) => {
    if (applyLoaded(supervisor, file, results[i]!) !== 'ignored') present.add(file);
  });
  for (const entry of supervisor.registry.list()) {
    if (entry.source === 'file' && entry.file && !present.has(entry.file)) removeJobFile(supervisor, entry.file);
  }
  const failed = supervisor.listLoadErrors().map(({ file, error }) => ({ file, error }));
  const failedFiles = new Set(failed.map((f) => f.file));
  const loaded = supervisor.registry.list().filter((e) => e.source === 'file' && !failedFiles.has(e.file!)).length;
  return { loaded, failed };
}
