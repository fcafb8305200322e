/**
 * Each job's last run (status, end time) and last success, for the per-job timestamp gauges. Kept
 * up by run.ended events (O(1) each); a job is first learnt from its history at the first scrape
 * that sees it, so runs from before this start count too. Skipped and missed fires did not run:
 * they never replace the last run (a skip while a run is in progress says nothing about it).
 */
import type { RunRecord, RunStatus } from '../records.js';
import type { JobView } from '../supervisor/index.js';

/** Final statuses of runs that ran (or were meant to and were stopped): the last run's status. */
export const RAN_STATUSES = ['completed', 'failed', 'timed_out', 'cancelled', 'interrupted'] as const satisfies readonly RunStatus[];
export type RanStatus = (typeof RAN_STATUSES)[number];

const RAN = new Set<RunStatus>(RAN_STATUSES);

export interface LastRun {
  /** Null before the first run (or after the history was cleared). */
  last: { status: RanStatus; at: number } | null;
  /** Epoch ms the last completed run ended; null if none is known. */
  success: number | null;
}

export class LastRuns {
  private readonly known = new Map<string, LastRun>();
  private moved = new Set<string>();

  /** A run ended (run.ended). A job not learnt yet is left to its first scrape: its history has this run. */
  ended(jobId: string, status: RunStatus, at: number): void {
    const known = this.known.get(jobId);
    if (!known || !RAN.has(status)) return;
    known.last = { status: status as RanStatus, at };
    if (status === 'completed') known.success = at;
    this.moved.add(jobId);
  }

  /** The jobs whose last run changed through ended() since the previous call. */
  takeMoved(): ReadonlySet<string> {
    const moved = this.moved;
    if (moved.size > 0) this.moved = new Set();
    return moved;
  }

  forget(jobId: string): void {
    this.known.delete(jobId);
  }

  /**
   * The job's last run and success. `view` is its state now; `history` (newest first) is read only
   * the first time a job is seen and its newest record does not answer both questions.
   */
  of(view: JobView, history: () => RunRecord[]): LastRun {
    // Nothing running and no record: the history was cleared (POST /jobs/{id}/remove) or never written.
    if (view.lastRun === null && view.running.length === 0) {
      const empty: LastRun = { last: null, success: null };
      this.known.set(view.id, empty);
      return empty;
    }
    const known = this.known.get(view.id);
    if (known) return known;
    const learnt = learn(view.lastRun === null ? [] : [view.lastRun]);
    const found = learnt.last?.status === 'completed' ? learnt : learn(history());
    this.known.set(view.id, found);
    return found;
  }
}

/** The newest run that ran, and the newest completed one, of records newest first. */
function learn(records: RunRecord[]): LastRun {
  const out: LastRun = { last: null, success: null };
  for (const record of records) {
    if (!RAN.has(record.status)) continue;
    const at = endOf(record);
    if (at === null) continue;
    out.last ??= { status: record.status as RanStatus, at };
    if (record.status === 'completed') {
      out.success = at;
      break;
    }
  }
  return out;
}

function endOf(record: RunRecord): number | null {
  const ms = record.ended_at === null ? Number.NaN : Date.parse(record.ended_at);
  return Number.isFinite(ms) ? ms : null;
}
