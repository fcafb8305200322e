/**
 * Which notify events a run event stands for (SPEC §12), and the one piece of memory that needs:
 * whether each job's last settled run failed, so its next completed run is also `recovered`.
 */
import type { ServerEvent } from '../events/types.js';
import type { NotifyEvent } from '../job/notify.js';
import type { RunRecord, RunStatus } from '../records.js';

/** The run events a notification can follow. */
export type RunServerEvent = Extract<ServerEvent, { type: 'run.started' | 'run.ended' | 'run.skipped' | 'run.missed' }>;

export function isRunEvent(event: ServerEvent): event is RunServerEvent {
  return event.type === 'run.started' || event.type === 'run.ended' || event.type === 'run.skipped' || event.type === 'run.missed';
}

/**
 * The outcomes that decide "is this job failing": a failure sets it, a completion clears it.
 * Cancelled, interrupted, skipped and missed runs say nothing about the job's health and leave
 * it as it was (a stop between a failure and the fix still gives `recovered`).
 */
const SETTLING: ReadonlySet<RunStatus> = new Set(['completed', 'failed', 'timed_out']);

/** How many of the newest history records are looked at to seed a job's state. */
export const SEED_RECORDS = 5;

/**
 * Per job: whether its last settled run failed. A job is seeded from its history the first time
 * it matters (the first completion seen since start), so a restart between the failure and the
 * fix still sends `recovered`; `forget` drops a removed job.
 */
export class RecoveryTracker {
  private readonly failing = new Map<string, boolean>();

  /** `history(jobId)`: the job's newest records, newest first ([] for a job that is gone). */
  constructor(private readonly history: (jobId: string) => readonly RunRecord[]) {}

  /** The notify events of one run event, in the order they are sent; updates the job's state. */
  eventsFor(event: RunServerEvent): NotifyEvent[] {
    switch (event.type) {
      case 'run.started':
        return ['started'];
      case 'run.skipped':
        return ['skipped'];
      case 'run.missed':
        return ['missed'];
      case 'run.ended':
        return this.ended(event.job_id, event.run_id, event.status);
    }
  }

  forget(jobId: string): void {
    this.failing.delete(jobId);
  }

  private ended(jobId: string, runId: string, status: RunStatus): NotifyEvent[] {
    if (status === 'completed') {
      const wasFailing = this.failing.get(jobId) ?? this.seed(jobId, runId);
      this.failing.set(jobId, false);
      return wasFailing ? ['completed', 'recovered'] : ['completed'];
    }
    if (status === 'failed' || status === 'timed_out') this.failing.set(jobId, true);
    if (status === 'failed' || status === 'timed_out' || status === 'cancelled' || status === 'interrupted') return [status];
    return [];
  }

  /** Whether the newest settled run before `runId` failed (the history already holds `runId` itself). */
  private seed(jobId: string, runId: string): boolean {
    const last = this.history(jobId).find((record) => record.run_id !== runId && SETTLING.has(record.status));
    return last !== undefined && last.status !== 'completed';
  }
}
