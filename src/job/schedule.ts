/**
 * Schedules: when a job fires. Pure functions of time (epoch ms in, epoch ms out), so the
 * supervisor can re-ask after a suspend or a clock jump and get the wall-clock answer, never a
 * drifted one. Jitter is not applied here: the supervisor adds it to each fire.
 */
import { MxxError } from '../errors.js';
import { planFieldCron } from './cron-fields.js';
import { planExpressionCron } from './cron-expression.js';
import type { CronPlan } from './cron-fields.js';
import { nextCronFire, sharedCron } from './cron-walk.js';
import type { ScheduleSpec } from './types.js';
import { formatIsoInZone, machineTimeZone, parseIsoInZone } from './zone.js';

export interface Schedule {
  /** The first fire strictly after `afterMs`, or null when the schedule is exhausted. */
  next(afterMs: number): number | null;
  /** Up to `n` fires strictly after `afterMs`, ascending (fewer when the schedule ends). */
  nextN(afterMs: number, n: number): number[];
  /** The IANA zone the schedule is read in: its `timezone`, else the machine's zone at creation. */
  readonly timezone: string;
}

/**
 * A schedule is a few numbers and prototype methods, no closures: a registry of 100 000 jobs keeps
 * 100 000 of them (a closure-built one cost ~400 bytes, a class instance ~60).
 */
abstract class BoundedSchedule implements Schedule {
  constructor(
    readonly timezone: string,
    /** start_date (inclusive), -Infinity when absent. */
    private readonly start: number,
    /** end_date (inclusive), Infinity when absent. */
    private readonly end: number,
  ) {}

  /** The trigger's first fire strictly after `after`, before the bounds. */
  protected abstract raw(after: number): number | null;

  next(afterMs: number): number | null {
    // start_date is inclusive: search from just before it.
    const fire = this.raw(afterMs < this.start ? this.start - 1 : afterMs);
    return fire === null || fire > this.end ? null : fire;
  }

  nextN(afterMs: number, n: number): number[] {
    const out: number[] = [];
    for (let t: number | null = afterMs; out.length < n; ) {
      t = this.next(t);
      if (t === null) break;
      out.push(t);
    }
    return out;
  }
}

class CronTrigger extends BoundedSchedule {
  constructor(timezone: string, start: number, end: number, private readonly plan: CronPlan) {
    super(timezone, start, end);
  }

  protected raw(after: number): number | null {
    return nextCronFire(this.plan, this.timezone, after);
  }
}

class IntervalTrigger extends BoundedSchedule {
  constructor(
    timezone: string,
    start: number,
    end: number,
    private readonly base: number,
    private readonly step: number,
    private readonly firstK: number,
  ) {
    super(timezone, start, end);
  }

  protected raw(after: number): number {
    return this.base + Math.max(this.firstK, Math.floor((after - this.base) / this.step) + 1) * this.step;
  }
}

class DateTrigger extends BoundedSchedule {
  constructor(timezone: string, start: number, end: number, private readonly at: number) {
    super(timezone, start, end);
  }

  protected raw(after: number): number | null {
    return this.at > after ? this.at : null;
  }
}

/**
 * Builds the schedule of a validated spec.
 * - cron: wall-clock fires in `timezone` (DST rules in cron-walk.ts).
 * - interval: `start_date + k·interval` (k ≥ 0) when `start_date` is set, else
 *   `anchorMs + k·interval` (k ≥ 1): the first fire is one interval after registration.
 * - date: `run_date`, once.
 * `start_date` (inclusive) and `end_date` (inclusive, as APScheduler) bound every trigger.
 * @param anchorMs when the job was registered; only interval schedules without `start_date` use it.
 */
export function createSchedule(spec: ScheduleSpec, anchorMs: number): Schedule {
  const timezone = spec.timezone ?? machineTimeZone();
  const instant = (field: string, text: string | undefined): number | undefined => {
    if (text === undefined) return undefined;
    const ms = parseIsoInZone(text, timezone);
    if (ms === null) throw new MxxError('INVALID_JOB', `schedule.${field} ${JSON.stringify(text)} is not an ISO 8601 date`);
    return ms;
  };
  const start = instant('start_date', spec.start_date);
  const end = instant('end_date', spec.end_date) ?? Infinity;
  const from = start ?? -Infinity;

  switch (spec.trigger) {
    case 'cron': {
      let plan;
      try {
        plan = spec.cron !== undefined ? planExpressionCron(spec.cron) : planFieldCron(spec.fields ?? {});
      } catch (error) {
        throw new MxxError('INVALID_JOB', `schedule.${spec.cron !== undefined ? 'cron ' : ''}${(error as Error).message}`);
      }
      sharedCron(plan);
      return new CronTrigger(timezone, from, end, plan);
    }
    case 'interval': {
      const step = spec.interval_ms;
      if (!(step > 0)) throw new MxxError('INVALID_JOB', `schedule interval must be greater than 0, got ${step} ms`);
      return new IntervalTrigger(timezone, from, end, start ?? anchorMs, step, start === undefined ? 1 : 0);
    }
    case 'date':
      return new DateTrigger(timezone, from, end, instant('run_date', spec.run_date)!);
  }
}

/**
 * The next `n` fires after `fromMs` as ISO 8601 strings with offset, read in the schedule's
 * zone (`2026-03-29T03:00:00.000+02:00`), so a Berlin job shows Berlin wall-clock times on any
 * machine. For schedules in the machine's zone this is the same text as `toIsoLocal`.
 */
export function describeNext(schedule: Schedule, fromMs: number, n: number): string[] {
  return schedule.nextN(fromMs, n).map((t) => formatIsoInZone(t, schedule.timezone));
}
