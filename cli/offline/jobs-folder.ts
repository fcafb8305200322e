/**
 * The jobs folder read here, without a server (`mxx list --offline`): each file parsed and
 * validated by the server's own loader, and its next fires from the server's own schedule code.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobLoadError } from '../../src/api/types.js';
import { isMxxError } from '../../src/errors.js';
import { jobFileFormat, jobFileInfo, loadJobFile, syntaxErrorLocation } from '../../src/job/load-file.js';
import { createSchedule, describeNext } from '../../src/job/schedule.js';
import type { JobDefinition } from '../../src/job/types.js';

/** One job file as `mxx list --offline --json` shows it: the fields of a listed job that make sense without a server. */
export interface OfflineJob {
  /** The file name without its extension; null when that is not a valid id. */
  job_id: string | null;
  file: string;
  valid: boolean;
  on_demand: boolean;
  /** The schedule section as written (null = on demand or invalid). */
  schedule: Record<string, unknown> | null;
  next_run_time: string | null;
  /** The next fires (ISO 8601 in the schedule's zone), at most as many as asked. */
  next: string[];
  /**
   * An interval without start_date, counted from now here: the server counts it from when it
   * registered the job, so its fires may come earlier.
   */
  counted_from_now?: true;
  /** Why the file does not load (invalid files only). */
  load_error?: JobLoadError;
}

export interface OfflineListBody {
  offline: true;
  jobs_dir: string;
  /** False when the folder does not exist (the server creates it on its first start). */
  exists: boolean;
  jobs: OfflineJob[];
  count: number;
}

function loadErrorOf(file: string, error: unknown): JobLoadError {
  return { file, error: isMxxError(error) || error instanceof Error ? error.message : String(error), ...syntaxErrorLocation(error) };
}

function invalid(jobId: string | null, file: string, error: unknown): OfflineJob {
  return { job_id: jobId, file, valid: false, on_demand: false, schedule: null, next_run_time: null, next: [], load_error: loadErrorOf(file, error) };
}

function valid(def: JobDefinition, file: string, now: number, fires: number): OfflineJob {
  const next = def.schedule ? describeNext(createSchedule(def.schedule, now), now, fires) : [];
  const fromNow = def.schedule?.trigger === 'interval' && def.schedule.start_date === undefined;
  return {
    job_id: def.id,
    file,
    valid: true,
    on_demand: def.schedule === undefined,
    schedule: def.scheduleDoc,
    next_run_time: next[0] ?? null,
    next,
    ...(fromNow ? { counted_from_now: true as const } : {}),
  };
}

/** Reads `dir` as the server's start-up load does: its job files in name order (other files are skipped). */
export async function readJobsFolder(dir: string, { now = Date.now(), fires = 3 }: { now?: number; fires?: number } = {}): Promise<OfflineListBody> {
  let names: string[];
  try {
    names = (await readdir(dir, { withFileTypes: true }))
      .filter((d) => d.isFile() && jobFileFormat(d.name) !== null)
      .map((d) => d.name)
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    return { offline: true, jobs_dir: dir, exists: false, jobs: [], count: 0 };
  }
  const owners = new Map<string, string>();
  const jobs: OfflineJob[] = [];
  for (const name of names) {
    const file = join(dir, name);
    let id: string | null = null;
    try {
      id = jobFileInfo(file)?.id ?? null;
      const def = await loadJobFile(file);
      // As the server decides (src/job-files.ts): the first file by name keeps an id, a later one is refused.
      const owner = owners.get(def.id);
      if (owner !== undefined) throw new Error(`${name}: job id ${def.id} is already defined by ${owner}; rename one of the files`);
      owners.set(def.id, file);
      jobs.push(valid(def, file, now, fires));
    } catch (error) {
      jobs.push(invalid(id, file, error));
    }
  }
  return { offline: true, jobs_dir: dir, exists: true, jobs, count: jobs.length };
}
