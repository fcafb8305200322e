/**
 * The next fire of a cron plan in a time zone, with our DST rules (SPEC §3):
 *
 * - A wall-clock time that does not exist (spring forward) fires once, at the first instant after
 *   the gap (Berlin 02:30 on 2026-03-29 → 03:00 CEST). Several such times collapse into that one
 *   fire, and it is not repeated by a match at the gap's end.
 * - A calendar day the zone skips altogether (Pacific/Apia, 30 December 2011) has no fires: the
 *   gap rule is for clock changes of an hour or two, and moving a noon fire to 00:00 of the next
 *   day would be a fire nobody asked for (APScheduler and cron-parser skip the day too).
 * - A wall-clock time that occurs twice (fall back) fires once, at its first occurrence — for
 *   every job, as SPEC §3 says: an hourly or every-5-minutes cron job does not fire again in the
 *   repeated hour (Vixie cron would). An interval trigger is the way to keep a steady rhythm.
 *
 * croner 11 is the pattern engine, but run on a zone-less wall clock (`utcOffset: 0`, which is
 * also ~15x faster than its Intl-based `timezone` mode), because its own zone
 * handling differs: it skips gap times of every job with a list, range, step or wildcard in its
 * time fields (`hour = "2,14"`, `minute = "*\/15", hour = 2` lose their 02:xx fires on the
 * spring-forward day). Mapping wall times to instants is done here, segment by segment between
 * the zone's offset transitions.
 */
import { Cron } from 'croner';
import type { CronPlan } from './cron-fields.js';
import { nextTransition, zoneOffset } from './zone.js';

const DAY = 86_400_000;
/** A search longer than this finds nothing (e.g. 30 February): give up rather than loop. */
const MAX_STEPS = 20_000;

/**
 * A croner instance holds ~80 KB of lookup arrays: one per distinct pattern, not one per job, or
 * 10 000 jobs take a gigabyte. `nextRun(date)` keeps no state between calls, so sharing is safe.
 */
const crons = new Map<string, Cron>();

/**
 * croner 11 keeps a 10 000-slot year table (80 KB) even for `*` years, and reads it only when the
 * year is restricted (every use is guarded by `starYear`). With a thousand distinct daily times
 * those tables were most of the server's memory; an empty one is equivalent. The table sits in
 * croner's private state: test/unit/cron-walk-croner.test.ts pins that, and fails on an upgrade
 * that moves the table or starts reading it.
 */
function dropUnusedYearTable(cron: Cron): void {
  const pattern = (cron as unknown as { _states?: { pattern?: { starYear?: boolean; year?: number[] } } })._states?.pattern;
  if (pattern?.starYear === true && Array.isArray(pattern.year)) pattern.year = [];
}

export function sharedCron(plan: CronPlan): Cron {
  const key = `${plan.domAndDow ? 'and' : 'or'} ${plan.pattern}`;
  let cron = crons.get(key);
  if (!cron) {
    cron = new Cron(plan.pattern, { utcOffset: 0, mode: plan.pattern.split(' ').length === 7 ? '7-part' : '6-part', domAndDow: plan.domAndDow });
    dropUnusedYearTable(cron);
    crons.set(key, cron);
  }
  return cron;
}

/**
 * The first wall-clock reading (ms on a zone-less clock) strictly after `wall` that the plan
 * matches, honouring the day filter; null when there is none (or none within MAX_STEPS days).
 */
export function nextWallMatch(plan: CronPlan, wall: number): number | null {
  const cron = sharedCron(plan);
  let from = wall;
  for (let i = 0; i < MAX_STEPS; i++) {
    const hit = cron.nextRun(new Date(from));
    if (!hit) return null;
    if (!plan.dayFilter || plan.dayFilter(hit)) return hit.getTime();
    from = Math.floor(hit.getTime() / DAY) * DAY + DAY - 1; // skip the rest of that day
  }
  return null;
}

/** The whole calendar day of `wall` lies in the gap [gapStart, gapEnd) (wall-clock readings). */
function isSkippedDay(wall: number, gapStart: number, gapEnd: number): boolean {
  const dayStart = Math.floor(wall / DAY) * DAY;
  return dayStart >= gapStart && dayStart + DAY <= gapEnd;
}

/** The reading `wall` already happened at an earlier instant (second pass of a fall-back). */
function isRepeat(timeZone: string, wall: number, instant: number): boolean {
  const before = zoneOffset(timeZone, instant - 3 * 3_600_000);
  return before > zoneOffset(timeZone, instant) && zoneOffset(timeZone, wall - before) === before;
}

/**
 * The first fire instant of `plan` in `timeZone` strictly after `after`, or null if there is none.
 * A plain function of its arguments (no closure per job: a schedule keeps only the plan and zone).
 */
export function nextCronFire(plan: CronPlan, timeZone: string, after: number): number | null {
  let t = after;
  let inclusive = false; // after a transition, a match exactly at its wall time counts
  for (let i = 0; i < MAX_STEPS; i++) {
    const offset = zoneOffset(timeZone, t);
    const wall = nextWallMatch(plan, t + offset - (inclusive ? 1 : 0));
    if (wall === null) return null;
    const candidate = wall - offset;
    const transition = nextTransition(timeZone, t, candidate);
    if (transition === null) {
      if (isRepeat(timeZone, wall, candidate)) {
        [t, inclusive] = [candidate, false];
        continue;
      }
      return candidate;
    }
    const newOffset = zoneOffset(timeZone, transition);
    // Spring forward: readings in [transition + offset, transition + newOffset) do not exist.
    if (newOffset > offset && wall < transition + newOffset && !isSkippedDay(wall, transition + offset, transition + newOffset)) return transition;
    // Fall back: resume after the repeated readings, so none of them fires twice.
    t = newOffset < offset ? transition + (offset - newOffset) : transition;
    inclusive = true;
  }
  return null;
}
