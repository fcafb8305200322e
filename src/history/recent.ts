/**
 * Runs across jobs, one page at a time, newest first by run id. mxx mints ids that sort by the
 * instant the run was created (its fire or trigger; see supervisor/run-id.ts), and an id never
 * changes, so paging by "ids below the last one seen" is stable while runs start, end and arrive.
 * A page is a k-way merge of each job's id-sorted runs that stops after `limit + 1` matches: about
 * (jobs + limit) steps, never a sort of every run kept.
 */
import type { RunRecord, RunStatus } from '../records.js';

export interface RecentRunsQuery {
  /** Only these jobs' runs. @default every job */
  jobs?: readonly string[];
  /** Only runs whose current status is one of these. @default every status */
  statuses?: readonly RunStatus[];
  /** Only runs created at or after this instant (epoch ms). */
  since?: number;
  /** Only runs that sort after this run id: the page after it. The run need not exist any more. */
  before?: string;
  /** Runs on the page, at least 1. */
  limit: number;
}

export interface RecentRunsPage {
  /** Newest first. */
  runs: RunRecord[];
  /** More runs match after the last one of this page. */
  more: boolean;
}

/** One job's runs as the merge reads them. */
export interface RunSource {
  /** Run ids, newest first (descending). */
  ids: readonly string[];
  get(runId: string): RunRecord;
}

/** `<ms base36, 8 digits>-<counter base36, 4><tag hex, 6>`: what createRunId mints (1973 to 2059). */
const MINTED_ID = /^([0-9a-z]{8})-[0-9a-z]{4}[0-9a-f]{6}$/;

/** The creation instant an mxx run id encodes, or NaN for an id mxx did not mint. */
export function runIdTime(runId: string): number {
  const match = MINTED_ID.exec(runId);
  return match ? Number.parseInt(match[1]!, 36) : Number.NaN;
}

/** Descending, by UTF-16 code units (ids are ASCII): the one order of runs across jobs. */
export const newestIdFirst = (a: string, b: string): number => (a < b ? 1 : a > b ? -1 : 0);

/** For an id mxx did not mint: the record's own time, as a job's history orders it. */
function recordTime(rec: RunRecord): number {
  for (const iso of [rec.started_at, rec.scheduled_at, rec.ended_at]) {
    const ms = iso ? Date.parse(iso) : Number.NaN;
    if (Number.isFinite(ms)) return ms;
  }
  return Number.NaN;
}

/** The index of the first id that sorts after `before` (is below it), by binary search. */
function firstBelow(ids: readonly string[], before: string): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ids[mid]! < before) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** One job's runs in the merge: its position and the id there. */
interface Cursor {
  source: RunSource;
  index: number;
  id: string;
}

/**
 * A max-heap of cursors by their current id. Runs that do not match are skipped by advancing the
 * top cursor; while its next id is still the newest, that costs two comparisons, not a heap walk.
 */
class CursorHeap {
  constructor(private readonly items: Cursor[]) {
    for (let i = (items.length >>> 1) - 1; i >= 0; i--) this.down(i);
  }

  get top(): Cursor | undefined {
    return this.items[0];
  }

  /** The top cursor moves to its job's next run, or leaves the heap when it has none. */
  advanceTop(): void {
    const top = this.items[0]!;
    top.index++;
    if (top.index < top.source.ids.length) top.id = top.source.ids[top.index]!;
    else this.removeTop();
    if (this.items.length > 0) this.down(0);
  }

  removeTop(): void {
    const last = this.items.pop()!;
    if (this.items.length > 0) {
      this.items[0] = last;
      this.down(0);
    }
  }

  private down(i: number): void {
    const { items } = this;
    const n = items.length;
    const moving = items[i]!;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && items[right]!.id > items[left]!.id ? right : left;
      if (items[child]!.id <= moving.id) break;
      items[i] = items[child]!;
      i = child;
    }
    items[i] = moving;
  }
}

/**
 * One page of runs of `sources`, newest first. `current` maps a kept record to the one to filter
 * on and answer with (a run in progress is described by its live record). A status filter costs
 * a step for each newer run that does not match, so a rare status may walk every run kept.
 */
export function mergeRecent(sources: Iterable<RunSource>, query: RecentRunsQuery, current: (rec: RunRecord) => RunRecord = (rec) => rec): RecentRunsPage {
  const statuses = query.statuses && query.statuses.length > 0 ? new Set(query.statuses) : undefined;
  const { since, before } = query;
  const cursors: Cursor[] = [];
  for (const source of sources) {
    const index = before === undefined ? 0 : firstBelow(source.ids, before);
    if (index < source.ids.length) cursors.push({ source, index, id: source.ids[index]! });
  }
  const heap = new CursorHeap(cursors);
  const runs: RunRecord[] = [];
  for (let cursor = heap.top; cursor !== undefined; cursor = heap.top) {
    let created = Number.NaN;
    if (since !== undefined) {
      created = runIdTime(cursor.id);
      // Every later id of this job is older still: drop the job from the merge.
      if (created < since) {
        heap.removeTop();
        continue;
      }
    }
    const rec = current(cursor.source.get(cursor.id));
    const recent = since === undefined || !Number.isNaN(created) || !(recordTime(rec) < since);
    if (recent && (!statuses || statuses.has(rec.status))) {
      if (runs.length === query.limit) return { runs, more: true };
      runs.push(rec);
    }
    heap.advanceTop();
  }
  return { runs, more: false };
}
