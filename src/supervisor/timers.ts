/** Arming a job's next fire on the wall clock, with its jitter. */
import type { FireQueue } from './fire-queue.js';
import { touch, type Job } from './types.js';

/** `onFire(job, nominal, planned)`: nominal is the schedule's instant, planned adds the jitter. */
export type FireHandler = (job: Job, nominal: number, planned: number) => void;

/**
 * Timers go off this much ahead of the instant: the policy decision and the hops to the worker
 * and the spawner happen early, and the spawner starts the process on the instant itself.
 */
export const FIRE_LEAD_MS = 10;
/**
 * With several servers on PostgreSQL a fire is first claimed in the database (one round trip
 * shared by the fires of that moment, ~10-20 ms for 50 of them here), so it starts earlier; the
 * spawn still waits for the instant (`notBefore`), so only the claim moves ahead.
 */
export const CLUSTER_FIRE_LEAD_MS = 50;

/**
 * Arms the first fire strictly after `after` in `queue`; nothing for on-demand, paused or exhausted
 * jobs. The queue's onDue hands the job back with the armed instant: see firedFromQueue.
 */
export function armJob(job: Job, queue: FireQueue, after = Date.now(), leadMs = FIRE_LEAD_MS): void {
  disarmJob(job);
  if (!job.schedule || job.entry.paused) return;
  const next = job.schedule.next(after);
  if (next === null) return;
  const jitter = job.def.schedule?.jitter ? Math.random() * job.def.schedule.jitter * 1000 : 0;
  job.nextFire = next;
  touch(job);
  job.timer = queue.add(job, next + jitter - leadMs);
}

/** For the queue's onDue: the armed fire of `job` went off at `at`; calls onFire with its instants. */
export function firedFromQueue(job: Job, at: number, onFire: FireHandler, leadMs = FIRE_LEAD_MS): void {
  const nominal = job.nextFire;
  job.timer = null;
  if (nominal !== null) onFire(job, nominal, at + leadMs);
}

/** Cancels the armed fire; with `retriesToo`, also the job's pending retries (unregister, pause, shutdown). */
export function disarmJob(job: Job, { retriesToo = false }: { retriesToo?: boolean } = {}): void {
  job.timer?.cancel();
  job.timer = null;
  job.nextFire = null;
  touch(job);
  if (retriesToo) {
    for (const timer of job.retryTimers) timer.cancel();
    job.retryTimers.clear();
  }
}
