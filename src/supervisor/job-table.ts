/** The registered jobs in memory, and their groups. */
import { createSchedule } from '../job/schedule.js';
import type { JobDefinition } from '../job/types.js';
import type { RegistryEntry } from '../records.js';
import { DEFAULT_HISTORY_KEEP } from '../job/defaults.js';
import { LazyMap, LazySet } from './lazy-collections.js';
import { disarmJob } from './timers.js';
import { statusEpoch, touch, type ActiveRun, type Job } from './types.js';

export class JobTable {
  private readonly jobs = new Map<string, Job>();
  private readonly groups = new Map<string, Set<Job>>();

  get(id: string): Job | undefined {
    return this.jobs.get(id);
  }

  has(id: string): boolean {
    return this.jobs.has(id);
  }

  get size(): number {
    return this.jobs.size;
  }

  values(): IterableIterator<Job> {
    return this.jobs.values();
  }

  /** Installs a definition; a job it replaces hands over its runs in progress, queued fire and retries. */
  install(def: JobDefinition, entry: RegistryEntry): Job {
    const previous = this.jobs.get(def.id);
    const anchor = Date.parse(entry.registered_at);
    const job: Job = {
      id: def.id,
      def,
      entry,
      schedule: def.schedule ? createSchedule(def.schedule, Number.isNaN(anchor) ? Date.now() : anchor) : null,
      timer: null,
      nextFire: null,
      lastFired: previous?.lastFired ?? null,
      active: previous?.active ?? new LazyMap(),
      pending: previous?.pending ?? null,
      retryTimers: previous?.retryTimers ?? new LazySet(),
      fireSeconds: null,
      version: ++statusEpoch.value,
    };
    if (previous) {
      touch(previous);
      disarmJob(previous);
      this.membersOf(previous)?.delete(previous);
    }
    this.jobs.set(def.id, job);
    const group = def.policy.group;
    if (group !== undefined) {
      let members = this.groups.get(group);
      if (!members) this.groups.set(group, (members = new Set()));
      members.add(job);
    }
    return job;
  }

  remove(job: Job): void {
    touch(job);
    if (this.jobs.get(job.id) === job) this.jobs.delete(job.id);
    this.membersOf(job)?.delete(job);
  }

  /** The job itself first, then the other members of its group. */
  withGroup(job: Job): Job[] {
    return [job, ...[...(this.membersOf(job) ?? [])].filter((member) => member !== job)];
  }

  /** Runs of the job's group that belong to other jobs. */
  groupRuns(job: Job): ActiveRun[] {
    const out: ActiveRun[] = [];
    for (const member of this.membersOf(job) ?? []) {
      if (member !== job) out.push(...member.active.values());
    }
    return out;
  }

  /** policy.history of the job, or the default for a job no longer registered. */
  keepFor(jobId: string): number {
    return this.jobs.get(jobId)?.def.policy.history ?? DEFAULT_HISTORY_KEEP;
  }

  private membersOf(job: Job): Set<Job> | undefined {
    const group = job.def.policy.group;
    return group === undefined ? undefined : this.groups.get(group);
  }
}
