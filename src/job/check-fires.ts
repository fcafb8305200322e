/**
 * Whether a valid schedule can ever fire. Without this, `cron = "0 0 31 4 *"` or a `run_date`
 * last year registers as "scheduled" with `next_run: null` and silently never runs.
 *
 * - Always: a pattern no date matches (31 April), or no date inside start_date … end_date, or a
 *   run_date outside them. These do not depend on when the job is read.
 * - With `now` (a job registered right now, through the API): fires that have all passed — a
 *   run_date older than policy.misfire_grace_time (a younger one runs once, as in APScheduler),
 *   an end_date gone by, a cron whose last date is behind us. Job files and the registry are read
 *   without `now`, so a date job that already ran does not become a broken file at a restart.
 */
import { type Issues, shown } from './issues.js';
import { planExpressionCron } from './cron-expression.js';
import { planFieldCron, type CronPlan } from './cron-fields.js';
import { nextWallMatch } from './cron-walk.js';
import { createSchedule } from './schedule.js';
import type { CronSchedule, ScheduleSpec } from './types.js';
import { machineTimeZone, parseIsoInZone, zoneOffset } from './zone.js';

export interface FireCheckOptions {
  /** policy.misfire_grace_time: how far in the past a run_date may lie and still run once. */
  misfireGraceSeconds: number;
  /** The current time (epoch ms); absent = only the checks that do not depend on it. */
  now?: number;
}

/** Cron years start at 1970: no pattern matches anything earlier. */
const CRON_EPOCH = Date.UTC(1970, 0, 1) - 1;

/** Records why `spec` (already valid) can never fire, if it cannot. */
export function checkScheduleFires(issues: Issues, spec: ScheduleSpec, options: FireCheckOptions): void {
  const zone = spec.timezone ?? machineTimeZone();
  const start = spec.start_date === undefined ? undefined : parseIsoInZone(spec.start_date, zone)!;
  const end = spec.end_date === undefined ? undefined : parseIsoInZone(spec.end_date, zone)!;

  if (spec.trigger === 'date') {
    const at = parseIsoInZone(spec.run_date, zone)!;
    if (start !== undefined && at < start) return issues.add('schedule.run_date', `is before start_date (${spec.start_date}), so the job would never run`);
    if (end !== undefined && at > end) return issues.add('schedule.run_date', `is after end_date (${spec.end_date}), so the job would never run`);
  }
  const cron = spec.trigger === 'cron' ? describeCron(spec) : undefined;
  if (cron && !wallMatchInWindow(cron.plan, zone, start, end)) {
    const window = windowText(spec);
    return issues.add(cron.path, `never fires: no date ${window ? `${window} ` : ''}matches ${cron.what}`);
  }

  const now = options.now;
  if (now === undefined) return;
  // A run_date within the grace (inclusive, as the supervisor's misfire rule) is valid: the
  // supervisor runs it once at registration; next() stays pure and never looks back.
  const after = spec.trigger === 'date' ? now - options.misfireGraceSeconds * 1000 - 1 : now;
  if (createSchedule(spec, now).next(after) !== null) return;
  if (spec.trigger === 'date') {
    return issues.add(
      'schedule.run_date',
      `is in the past (${spec.run_date}), more than policy.misfire_grace_time (${options.misfireGraceSeconds} s) ago, so the job would never run`,
    );
  }
  if (end !== undefined && end < now) return issues.add('schedule.end_date', `is in the past (${spec.end_date}), so the job would never fire`);
  if (!cron) return issues.add('schedule.end_date', `(${spec.end_date}) comes before the first fire after now, so the job would never fire`);
  const why = end === undefined ? `every date matching ${cron.what} has passed` : `no date before end_date (${spec.end_date}) matches ${cron.what}`;
  issues.add(cron.path, `never fires after now: ${why}`);
}

/** The plan, the key to name and how to quote the pattern: `"0 0 31 4 *"` or `month = 4, day = 31`. */
function describeCron(spec: CronSchedule): { plan: CronPlan; path: string; what: string } {
  if (spec.cron !== undefined) return { plan: planExpressionCron(spec.cron), path: 'schedule.cron', what: JSON.stringify(spec.cron) };
  const fields = spec.fields ?? {};
  const what = Object.entries(fields).map(([name, value]) => `${name} = ${shown(value)}`).join(', ');
  return { plan: planFieldCron(fields), path: 'schedule', what };
}

/**
 * Whether the plan matches a wall-clock reading inside the window. Read on the zone-less clock
 * (as croner does): walking instants from 1970 would sample every DST transition on the way.
 */
function wallMatchInWindow(plan: CronPlan, zone: string, start: number | undefined, end: number | undefined): boolean {
  const from = start === undefined ? CRON_EPOCH : Math.max(CRON_EPOCH, start + zoneOffset(zone, start) - 1);
  const hit = nextWallMatch(plan, from);
  return hit !== null && (end === undefined || hit <= end + zoneOffset(zone, end));
}

function windowText(spec: ScheduleSpec): string {
  if (spec.start_date !== undefined && spec.end_date !== undefined) return `between start_date (${spec.start_date}) and end_date (${spec.end_date})`;
  if (spec.start_date !== undefined) return `from start_date (${spec.start_date}) on`;
  if (spec.end_date !== undefined) return `before end_date (${spec.end_date})`;
  return '';
}
