/**
 * Registration warnings: other jobs whose fires in the next 24 h coincide with this job's to the
 * second. Each job caches its next FIRES_CACHED fire seconds (within 24 h); two jobs are compared
 * by a merge of those lists. Where this job fires beyond another job's cached horizon (a dense
 * schedule, e.g. every 5 minutes, caches only a few hours), the other schedule is asked directly,
 * within a budget per registration so thousands of dense jobs cannot make registering slow.
 * A warning, never a refusal: past the budget a coincidence may go unreported.
 */
import type { Job } from './types.js';

const WINDOW_MS = 24 * 3600_000;
const FIRES_CACHED = 48;
const DIRECT_CHECKS_PER_CALL = 2000;

function upcomingSeconds(job: Job, now: number): number[] {
  const out: number[] = [];
  if (!job.schedule) return out;
  const end = now + WINDOW_MS;
  let t = job.schedule.next(now);
  while (t !== null && t <= end && out.length < FIRES_CACHED) {
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

/** Whether two ascending lists share a value. */
function intersects(a: number[], b: number[]): boolean {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) return true;
    if (a[i]! < b[j]!) i++;
    else j++;
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
  const first = mine[0]!;
  const last = mine[mine.length - 1]!;
  let budget = DIRECT_CHECKS_PER_CALL;
  const found: string[] = [];
  for (const other of others) {
    if (other === job || !other.schedule || other.entry.paused) continue;
    const theirs = cachedSeconds(other, now);
    if (theirs.length === 0) continue;
    // A full cache means the other job fires beyond it; a short one covers the whole window.
    const horizon = theirs.length < FIRES_CACHED ? Infinity : theirs[theirs.length - 1]!;
    if (theirs[0]! <= last && horizon >= first && intersects(mine, theirs)) {
      found.push(other.id);
      continue;
    }
    for (let i = mine.length - 1; i >= 0 && mine[i]! > horizon && budget > 0; i--, budget--) {
      if (firesInSecond(other, mine[i]!)) {
        found.push(other.id);
        break;
      }
    }
  }
  return found;
}
