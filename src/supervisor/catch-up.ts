/**
 * Misfires after downtime (SPEC §5): the newest fire missed within misfire_grace_time runs once
 * (coalesced); older missed fires are recorded as one `missed` run, never replayed.
 */
import type { History } from '../history/index.js';
import type { Logger } from '../logger.js';
import { toIsoLocal, type RunRecord } from '../records.js';
import { notRunRecord } from './run-record.js';
import type { FireRequest, Job } from './types.js';

/** Walking an every-second schedule across a long downtime must stay cheap. */
const MAX_WALK = 100_000;

export type CatchUp = { kind: 'run'; request: FireRequest } | { kind: 'missed'; record: RunRecord };

export function catchUpMisfires(job: Job, history: History, now: number, logger: Logger): CatchUp[] {
  if (!job.schedule) return [];
  // The newest fire instant on record, whatever the order the records were written in (a long run
  // of an earlier fire ends after the skip of a later one).
  let lastFire = -Infinity;
  for (const r of history.list(job.id)) {
    if (r.trigger !== 'schedule' || r.scheduled_at === null) continue;
    const at = Date.parse(r.scheduled_at);
    if (at > lastFire) lastFire = at;
  }
  const registered = Date.parse(job.entry.registered_at);
  const from = Math.max(lastFire, Number.isNaN(registered) ? now : registered);
  let first: number | null = null;
  let beforeLast: number | null = null;
  let last: number | null = null;
  let count = 0;
  for (let t = job.schedule.next(from); t !== null && t <= now && count < MAX_WALK; t = job.schedule.next(t)) {
    first ??= t;
    beforeLast = last;
    last = t;
    count++;
  }
  if (last === null || first === null) return [];
  const out: CatchUp[] = [];
  let missed = count;
  if (now - last <= job.def.policy.misfire_grace_time * 1000) {
    out.push({ kind: 'run', request: { trigger: 'schedule', scheduledAt: last, attempt: 0 } });
    missed--;
  }
  if (missed > 0) {
    // The record carries the newest missed fire, so the next start counts on from there.
    const lastMissed = out.length > 0 ? (beforeLast ?? first) : last;
    const error = `${count >= MAX_WALK ? `at least ${missed}` : missed} fire(s) missed while the server was down (from ${toIsoLocal(first)} to ${toIsoLocal(lastMissed)})`;
    logger.warn(`job ${job.id}: ${error}`);
    const record = notRunRecord(job, { trigger: 'schedule', scheduledAt: lastMissed, attempt: 0 }, 'missed', error, now);
    // duration 0, as start-up misses have always been recorded (a late fire's miss records null).
    out.unshift({ kind: 'missed', record: { ...record, duration_ms: 0 } });
  }
  return out;
}
