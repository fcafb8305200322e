/** The overlap decision (SPEC §5), as a pure function of the job and what is running. */
import type { ActiveRun, Job } from './types.js';

export type OverlapDecision =
  | { action: 'start' }
  | { action: 'queue' }
  | { action: 'replace'; victims: ActiveRun[] }
  | { action: 'skip'; reason: string };

/**
 * `groupRuns` are the runs of the job's group that belong to other jobs. A group member is handled
 * by its own policy "as if it were itself running"; `allow` does not let a member run beside another
 * member, since a group's promise is that its jobs never run at the same time.
 */
export function decideOverlap(job: Job, groupRuns: ActiveRun[]): OverlapDecision {
  const own = job.active.size;
  if (own === 0 && groupRuns.length === 0) return { action: 'start' };
  const policy = job.def.policy;
  const busyWith =
    own > 0
      ? `job ${job.id} is already running (${[...job.active.keys()].join(', ')})`
      : `group "${policy.group}" is busy (${groupRuns.map((r) => `${r.jobId}/${r.runId}`).join(', ')})`;
  switch (policy.overlap) {
    case 'allow':
      if (groupRuns.length === 0 && own < policy.max_instances) return { action: 'start' };
      return {
        action: 'skip',
        reason: groupRuns.length === 0 ? `max_instances (${policy.max_instances}) reached` : busyWith,
      };
    case 'queue':
      if (!job.pending) return { action: 'queue' };
      return { action: 'skip', reason: `${busyWith} and a run is already queued` };
    case 'replace':
      return { action: 'replace', victims: [...job.active.values(), ...groupRuns] };
    case 'skip':
    default:
      return { action: 'skip', reason: busyWith };
  }
}
