/**
 * Registration warnings: other jobs whose fires in the next 24 h coincide with this job's to the
 * second. Each job keeps its next few fire seconds; a fire beyond another job's cached horizon is
 * checked against that job's schedule directly, so the answer is exact for this job's first
 * FIRES_CHECKED fires in the window.
 */
import type { Job } from './types.js';

const WINDOW_MS = 24 * 3600_000;
const FIRES_CHECKED = 48;

function upcomingSeconds(job: Job, now: number): number[] {
  const out: number[] = [];
  if (!job.schedule) return out;
  const end = now + WINDOW_MS;
  let t = job.schedule.next(now);
  while (t !== null && t <= end && out.length < FIRES_CHECKED) {
    out.push(Math.floor(t / 1000));
    t = job.schedule.next(t);
  }
  return out;
}

function cachedSeconds(job: Job, now: number): number[] {
  const nowS = Math.floor(now / 1000);
  if (!job.fireSeconds || (job.fireSeconds.length > 0 && job.fireSeconds[0]! <= nowS)) {
    job.fireSeconds = upcomingSeconds(job, now);
  }
  return job.fireSeconds;
}

function includesSorted(list: number[], value: number): boolean {
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = list[mid]!;
    if (v === value) return true;
    if (v < value) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

function firesInSecond(job: Job, second: number): boolean {
  const t = job.schedule?.next(second * 1000 - 1);
  return t !== null && t !== undefined && t < (second + 1) * 1000;
}

export function findOverlaps(job: Job, others: Iterable<Job>, now: number): string[] {
  const mine = cachedSeconds(job, now);
  if (mine.length === 0) return [];
  const found: string[] = [];
  for (const other of others) {
    if (other === job || !other.schedule || other.entry.paused) continue;
    const theirs = cachedSeconds(other, now);
    if (theirs.length === 0) continue;
    const horizon = theirs.length < FIRES_CHECKED ? Infinity : theirs[theirs.length - 1]!;
    const hit = mine.some((s) => (s <= horizon ? includesSorted(theirs, s) : firesInSecond(other, s)));
    if (hit) found.push(other.id);
  }
  return found;
}
