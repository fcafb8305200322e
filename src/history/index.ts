/**
 * Run history: one append-only JSON-lines file per job (`<dir>/<jobId>.jsonl`), one line per state change
 * of a run; the last line for a run_id wins. Memory holds only the newest `keep` runs of each job, and a
 * file is compacted (rewritten atomically with those runs) before it grows past about twice that.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createHistoryFile, type HistoryFile, type WriteHealth } from './file.js';
import { removeStaleTempFiles } from '../atomic-file.js';
import { MxxError } from '../errors.js';
import { assertJobId, isJobId } from '../job/id.js';
import { parseJsonLines, toJsonLine } from './jsonl.js';
import { mergeRecent, newestIdFirst, type RecentRunsPage, type RecentRunsQuery, type RunSource } from './recent.js';
import { silentLogger, type Logger } from '../logger.js';
import type { RunRecord, RunStatus } from '../records.js';
import { describeIoError } from '../registry/storage-error.js';
import { DEFAULT_HISTORY_KEEP } from '../job/defaults.js';

/** policy.history's default. */
export { DEFAULT_HISTORY_KEEP };
export type { RecentRunsPage, RecentRunsQuery } from './recent.js';

export interface HistoryOptions {
  /** The runs folder (`<home>/server/runs`). */
  dir: string;
  /** @default silentLogger */
  logger?: Logger;
  /** How long after a failed write (a full or read-only disk) a file is written again. @default 5000 */
  retryMs?: number;
}

export interface HistoryLoadOptions {
  /** Each job's policy.history, so memory is trimmed right away rather than at the job's next record. */
  keep?: (jobId: string) => number | undefined;
}

export interface History {
  /** Reads every `*.jsonl` in dir; unreadable lines (a torn last line) are skipped with one warning per file. */
  load(options?: HistoryLoadOptions): Promise<void>;
  /** Upserts now (visible to reads at once) and appends the line in the background. @param keep policy.history */
  record(rec: RunRecord, keep?: number): void;
  /** Newest first (by started, else scheduled time, then recording order). */
  list(jobId: string, limit?: number): RunRecord[];
  get(runId: string): RunRecord | undefined;
  latest(jobId: string): RunRecord | undefined;
  /**
   * One page of the runs of every job (or of query.jobs), newest first by run id (see ./recent.ts).
   * `current` maps a kept record to the one to filter on and answer with (a run's live record).
   */
  recent(query: RecentRunsQuery, current?: (rec: RunRecord) => RunRecord): RecentRunsPage;
  /** Runs whose current status is running or queued. */
  unfinished(): RunRecord[];
  /** Forgets a job's runs, in memory and on disk. */
  clear(jobId: string): Promise<void>;
  count(jobId: string): number;
  /** Resolves when every line recorded so far is on disk. */
  flush(): Promise<void>;
  /** Resolves when the job's records so far are written to its file (not fsynced); rejects if that failed. */
  written(jobId: string): Promise<void>;
  /** Failed file writes since creation (appends, compactions, removals); each is retried. */
  readonly writeErrors: number;
}

interface Stored {
  rec: RunRecord;
  /** Sort time in ms; newest first. */
  time: number;
  /** Recording order of the run's first line: the tie-break. */
  seq: number;
}

interface JobHistory {
  runs: Map<string, Stored>;
  sorted: Stored[] | undefined;
  /** Run ids newest first by id, for the cross-job merge; dropped when a run comes or goes. */
  ids: string[] | undefined;
  /** Kept runs by status, so a page filtered by status leaves out jobs that have none. */
  statuses: Map<RunStatus, number>;
  keep: number;
  file: HistoryFile;
}

const STATUSES = new Set<RunStatus>(['running', 'completed', 'failed', 'timed_out', 'cancelled', 'skipped', 'missed', 'interrupted', 'queued']);
const isUnfinished = (rec: RunRecord): boolean => rec.status === 'running' || rec.status === 'queued';
const newestFirst = (a: Stored, b: Stored): number => b.time - a.time || b.seq - a.seq;

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

export function createHistory(options: HistoryOptions): History {
  const { dir } = options;
  const logger = options.logger ?? silentLogger;
  let jobs = new Map<string, JobHistory>();
  let byRunId = new Map<string, Stored>();
  let seq = 0;
  let writeErrors = 0;
  const failing = new Set<string>();
  const retryMs = options.retryMs ?? 5000;

  // A full disk fails every job's file: one WARN when the first fails, one INFO when all work again.
  const health: WriteHealth = {
    failed(file, error) {
      writeErrors++;
      if (failing.size === 0) {
        logger.warn(
          `history: could not write ${file}: ${describeIoError(error)}; runs are kept in memory (the newest of each job) and written again every ${retryMs} ms; further failures are not logged until writing works`,
        );
      }
      failing.add(file);
    },
    succeeded(file) {
      if (failing.delete(file) && failing.size === 0) logger.info(`history: writing run history works again (${writeErrors} failed write(s) so far)`);
    },
  };

  function sortedRuns(job: JobHistory): Stored[] {
    job.sorted ??= [...job.runs.values()].sort(newestFirst);
    return job.sorted;
  }

  function countStatus(job: JobHistory, status: RunStatus, delta: number): void {
    const count = (job.statuses.get(status) ?? 0) + delta;
    if (count > 0) job.statuses.set(status, count);
    else job.statuses.delete(status);
  }

  function sourceOf(job: JobHistory): RunSource {
    job.ids ??= [...job.runs.keys()].sort(newestIdFirst);
    return { ids: job.ids, get: (runId) => job.runs.get(runId)!.rec };
  }

  /** The jobs a page may draw from: those asked for that keep a run of a status asked for. */
  function* sourcesFor({ jobs: jobIds, statuses }: RecentRunsQuery): Generator<RunSource> {
    const wanted = new Set(statuses);
    // A run kept as queued may be running by now (its live record says so): both or neither.
    if (wanted.has('running') || wanted.has('queued')) wanted.add('running').add('queued');
    const selected = jobIds === undefined || jobIds.length === 0 ? jobs.values() : new Set(jobIds);
    for (const item of selected) {
      const job = typeof item === 'string' ? jobs.get(item) : item;
      if (!job || job.runs.size === 0) continue;
      if (wanted.size > 0 && ![...wanted].some((status) => (job.statuses.get(status) ?? 0) > 0)) continue;
      yield sourceOf(job);
    }
  }

  function jobFor(jobId: string, file?: { lines: number; endsClean: boolean }): JobHistory {
    let job = jobs.get(jobId);
    if (job) return job;
    assertJobId(jobId);
    const created: JobHistory = {
      runs: new Map(),
      sorted: undefined,
      ids: undefined,
      statuses: new Map(),
      keep: DEFAULT_HISTORY_KEEP,
      file: createHistoryFile({
        file: join(dir, `${jobId}.jsonl`),
        health,
        retryMs,
        ...file,
        snapshot: () => sortedRuns(created).map((stored) => toJsonLine(stored.rec)).reverse(),
        compactAbove: () => Math.max(2 * created.keep, created.keep + 50),
      }),
    };
    jobs.set(jobId, (job = created));
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

  /** Drops the oldest finished runs beyond `keep`; a run still in progress is never dropped. */
  function trim(job: JobHistory): void {
    if (job.runs.size <= job.keep) return;
    const sorted = sortedRuns(job);
    for (let i = sorted.length - 1; i >= 0 && job.runs.size > job.keep; i--) {
      const stored = sorted[i]!;
      if (isUnfinished(stored.rec)) continue;
      job.runs.delete(stored.rec.run_id);
      countStatus(job, stored.rec.status, -1);
      if (byRunId.get(stored.rec.run_id) === stored) byRunId.delete(stored.rec.run_id);
    }
    job.sorted = undefined;
    job.ids = undefined;
  }

  async function loadFile(jobId: string, keep: number | undefined): Promise<void> {
    const path = join(dir, `${jobId}.jsonl`);
    const parsed = parseJsonLines(await readFile(path, 'utf8'));
    const job = jobFor(jobId, { lines: parsed.lines, endsClean: parsed.endsClean && parsed.bad.length === 0 });
    const skipped = parsed.bad.map((bad) => `line ${bad.line} (${bad.reason})`);
    for (const { line, value } of parsed.values) {
      const rec = value as Partial<RunRecord> | null;
      if (typeof rec?.run_id !== 'string' || rec.job_id !== jobId || !STATUSES.has(rec.status as RunStatus)) {
        skipped.push(`line ${line} (not a run record of job ${jobId})`);
      } else {
        upsert(job, rec as RunRecord, 0);
      }
    }
    // Without the job's policy, keep what the file holds (compaction bounds it); the next record() trims.
    job.keep = keep === undefined ? Math.max(DEFAULT_HISTORY_KEEP, job.runs.size) : normalizeKeep(keep);
    trim(job);
    if (skipped.length > 0) {
      const shown = skipped.slice(0, 3).join(', ') + (skipped.length > 3 ? `, and ${skipped.length - 3} more` : '');
      logger.warn(`history ${path}: skipped ${skipped.length} unreadable line(s): ${shown}; earlier runs are kept`);
    }
  }

  async function flush(): Promise<void> {
    const results = await Promise.allSettled([...jobs.values()].map((job) => job.file.flush()));
    const failed = results.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
  }

  return {
    async load(loadOptions = {}) {
      await flush().catch(() => undefined);
      jobs = new Map();
      byRunId = new Map();
      // Left by compactions killed before their rename; the file they were to replace is whole.
      const removed = await removeStaleTempFiles(dir);
      if (removed.length > 0) logger.info(`history: removed ${removed.length} temp file(s) left by interrupted writes: ${removed.join(', ')}`);
      let names: string[];
      try {
        names = await readdir(dir);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw new MxxError('INTERNAL', `could not read the run history folder ${dir}`, { cause: error });
      }
      const ids = names.filter((name) => name.endsWith('.jsonl')).map((name) => name.slice(0, -'.jsonl'.length)).filter(isJobId);
      // A few files at a time: thousands of jobs must not exhaust file descriptors.
      for (let i = 0; i < ids.length; i += 16) {
        await Promise.all(ids.slice(i, i + 16).map((id) => loadFile(id, loadOptions.keep?.(id))));
      }
    },
    record(rec, keep) {
      const job = jobFor(rec.job_id);
      job.keep = normalizeKeep(keep);
      upsert(job, rec, Date.now());
      trim(job);
      job.file.append(toJsonLine(rec));
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
      for (const [runId, stored] of job.runs) if (byRunId.get(runId) === stored) byRunId.delete(runId);
      job.runs.clear();
      job.sorted = undefined;
      job.ids = undefined;
      job.statuses.clear();
      await job.file.clear();
    },
    written: (jobId) => jobs.get(jobId)?.file.written() ?? Promise.resolve(),
    count: (jobId) => jobs.get(jobId)?.runs.size ?? 0,
    flush,
    get writeErrors() {
      return writeErrors;
    },
  };
}
