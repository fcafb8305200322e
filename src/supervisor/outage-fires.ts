/**
 * Fires that fell due while the store could not be reached (several servers on one PostgreSQL):
 * nobody could claim them then. Once the store answers again they get what fires missed through
 * downtime get on one server (SPEC §5): per job, the newest one within misfire_grace_time runs
 * once (coalesced); the others are recorded as one `missed` run. Every server keeps the same list
 * (each arms every job) and claims the same instants, so the claims' unique key picks one server
 * for the run and one for the record.
 */
import { toIsoLocal } from '../records.js';
import type { FireRequest, Job } from './types.js';

interface Unclaimed {
  job: Job;
  first: number;
  beforeLast: number | null;
  last: number;
  count: number;
}

export interface OutageCatchUp {
  job: Job;
  /** The newest fire, to run now (within misfire_grace_time), or null. */
  run: FireRequest | null;
  /** The other fires, as one missed record at `missed.scheduledAt` with `missed.reason`, or null. */
  missed: { request: FireRequest; reason: string } | null;
}

export class OutageFires {
  private readonly byJob = new Map<string, Unclaimed>();

  /** A scheduled fire of `job` at `scheduledAt` could not be claimed: the store did not answer. */
  note(job: Job, scheduledAt: number): void {
    const known = this.byJob.get(job.id);
    if (!known || known.job !== job) {
      this.byJob.set(job.id, { job, first: scheduledAt, beforeLast: null, last: scheduledAt, count: 1 });
      return;
    }
    if (scheduledAt <= known.last) return;
    known.beforeLast = known.last;
    known.last = scheduledAt;
    known.count++;
  }

  get size(): number {
    return this.byJob.size;
  }

  /** What to do now with every job's unclaimed fires (the list empties); `current` says whether a job is still the one armed. */
  drain(now: number, current: (job: Job) => boolean): OutageCatchUp[] {
    const out: OutageCatchUp[] = [];
    for (const { job, first, beforeLast, last, count } of this.byJob.values()) {
      if (!current(job) || job.entry.paused) continue;
      const runLast = now - last <= job.def.policy.misfire_grace_time * 1000;
      const missedCount = runLast ? count - 1 : count;
      const lastMissed = runLast ? beforeLast : last;
      out.push({
        job,
        run: runLast ? { trigger: 'schedule', scheduledAt: last, attempt: 0 } : null,
        missed:
          missedCount > 0 && lastMissed !== null
            ? {
                request: { trigger: 'schedule', scheduledAt: lastMissed, attempt: 0 },
                reason: `${missedCount} fire(s) missed while the store could not be reached (from ${toIsoLocal(first)} to ${toIsoLocal(lastMissed)})`,
              }
            : null,
      });
    }
    this.byJob.clear();
    return out;
  }
}
