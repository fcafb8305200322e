/** The `[schedule]` section → ScheduleSpec, every problem recorded (SPEC §3 "Schedules"). */
import { checkKeys, type Issues, ONE_YEAR, readNumber, readString, shown, type Table, TEN_YEARS } from './issues.js';
import { planExpressionCron } from './cron-expression.js';
import { CRON_FIELDS, parseCronField } from './cron-fields.js';
import { didYouMean } from './suggest.js';
import type { CronFieldName, ScheduleSpec, TriggerCommon } from './types.js';
import { isValidTimeZone, machineTimeZone, parseIsoInZone } from './zone.js';

type Trigger = ScheduleSpec['trigger'];

export const TRIGGERS = ['cron', 'interval', 'date'] as const satisfies readonly Trigger[];
export const COMMON_KEYS = ['trigger', 'timezone', 'start_date', 'end_date', 'jitter'];
/** Seconds per unit; `interval_seconds` is the original mxx key. */
export const INTERVAL_UNITS: Record<string, number> = { weeks: 604_800, days: 86_400, hours: 3_600, minutes: 60, seconds: 1, interval_seconds: 1 };
export const TRIGGER_KEYS: Record<Trigger, readonly string[]> = {
  cron: ['cron', ...CRON_FIELDS],
  interval: Object.keys(INTERVAL_UNITS),
  date: ['run_date'],
};
/** Every key of a schedule section, in the order the JSON Schema lists them. */
export const SCHEDULE_KEYS = [...COMMON_KEYS, ...TRIGGERS.flatMap((t) => TRIGGER_KEYS[t])];
const ISO_EXAMPLE = 'an ISO 8601 date such as "2026-03-01T10:00:00" or "2026-03-01T10:00:00+01:00"';

/**
 * Validates a schedule section. `trigger` may be left out when the keys say it (`cron = "…"`,
 * `minute = 5` → cron; `minutes = 5` → interval; `run_date` → date). Returns undefined when there
 * were problems (they are in `issues`).
 */
export function parseScheduleSection(issues: Issues, s: Table): ScheduleSpec | undefined {
  const before = issues.list.length;
  let trigger: Trigger | undefined;
  if (s.trigger !== undefined) {
    if (typeof s.trigger === 'string' && (TRIGGERS as readonly string[]).includes(s.trigger)) trigger = s.trigger as Trigger;
    else issues.add('schedule.trigger', `must be one of ${TRIGGERS.join(', ')}, got ${shown(s.trigger)}${typeof s.trigger === 'string' ? didYouMean(s.trigger, TRIGGERS) : ''}`);
  }
  const unknownKeys = Object.keys(s).filter((k) => !SCHEDULE_KEYS.includes(k));
  checkKeys(issues, s, SCHEDULE_KEYS, 'schedule');
  const kinds = TRIGGERS.filter((t) => TRIGGER_KEYS[t].some((k) => k in s));
  const misplaced = trigger !== undefined && kinds.some((t) => t !== trigger);
  if (trigger) {
    for (const other of kinds.filter((t) => t !== trigger)) {
      for (const key of TRIGGER_KEYS[other].filter((k) => k in s)) {
        issues.add(`schedule.${key}`, `is not a key of trigger "${trigger}"${didYouMean(key, TRIGGER_KEYS[trigger]) || ` (it belongs to trigger "${other}")`}`);
      }
    }
  } else if (s.trigger === undefined) {
    const used = (t: Trigger): string => TRIGGER_KEYS[t].filter((k) => k in s).join(', ');
    if (kinds.length === 1) trigger = kinds[0];
    else if (kinds.length > 1) issues.add('schedule', `mixes keys of ${kinds.map((t) => `trigger "${t}" (${used(t)})`).join(' and ')}: set trigger to say which`);
    // A lone typo ("minuet") is reported above; "no trigger" on top of it would only add noise.
    else if (unknownKeys.length === 0) issues.add('schedule', 'has no trigger: set trigger = "cron", "interval" or "date" with its keys, or remove the section for an on-demand job');
  }

  let timezone = readString(issues, 'schedule.timezone', s.timezone, 'an IANA time zone name such as "Europe/Berlin"');
  if (timezone !== undefined && !isValidTimeZone(timezone)) {
    issues.add('schedule.timezone', `must be an IANA time zone name such as "Europe/Berlin", got ${shown(timezone)}`);
    timezone = undefined;
  }
  const zone = timezone ?? machineTimeZone();
  const start = readDate(issues, 'start_date', s.start_date, zone);
  const end = readDate(issues, 'end_date', s.end_date, zone);
  if (start && end && end.ms <= start.ms) issues.add('schedule.end_date', `must be after start_date (${start.text}), got ${shown(end.text)}`);
  const jitter = readNumber(issues, 'schedule.jitter', s.jitter, { min: 0, max: ONE_YEAR });
  const common: TriggerCommon & { timezone?: string } = {
    ...(timezone === undefined ? {} : { timezone }),
    ...(start ? { start_date: start.text } : {}),
    ...(end ? { end_date: end.text } : {}),
    ...(jitter === undefined ? {} : { jitter }),
  };

  let spec: ScheduleSpec | undefined;
  // With a typo present ("minuet"), "no cron field" would only repeat it: stay quiet then.
  const quiet = unknownKeys.length > 0 || misplaced;
  if (trigger === 'cron') spec = cronSpec(issues, s, common, quiet);
  else if (trigger === 'interval') spec = intervalSpec(issues, s, common, quiet);
  else if (trigger === 'date') {
    const at = readDate(issues, 'run_date', s.run_date, zone);
    if (s.run_date === undefined) issues.add('schedule.run_date', `is required for trigger "date" (${ISO_EXAMPLE})`);
    if (at) spec = { trigger, run_date: at.text, ...common };
  }
  return issues.list.length === before ? spec : undefined;
}

function readDate(issues: Issues, key: string, value: unknown, zone: string): { text: string; ms: number } | undefined {
  if (value === undefined) return undefined;
  const ms = typeof value === 'string' ? parseIsoInZone(value, zone) : null;
  if (ms === null) {
    issues.add(`schedule.${key}`, `must be ${ISO_EXAMPLE}, got ${shown(value)}`);
    return undefined;
  }
  return { text: value as string, ms };
}

function cronSpec(issues: Issues, s: Table, common: TriggerCommon, quiet: boolean): ScheduleSpec | undefined {
  const fieldKeys = CRON_FIELDS.filter((f) => f in s);
  if (s.cron !== undefined) {
    const expression = readString(issues, 'schedule.cron', s.cron, 'a cron expression such as "*/5 * * * *"');
    if (fieldKeys.length) issues.add('schedule.cron', `cannot be combined with ${fieldKeys.join(', ')}: use either the expression or the fields`);
    if (expression === undefined) return undefined;
    try {
      planExpressionCron(expression);
    } catch (error) {
      issues.add('schedule.cron', (error as Error).message);
      return undefined;
    }
    return { trigger: 'cron', cron: expression, ...common };
  }
  if (fieldKeys.length === 0) {
    if (!quiet) issues.add('schedule', `has trigger "cron" but no cron field (${CRON_FIELDS.join(', ')}) and no cron expression (cron = "*/5 * * * *")`);
    return undefined;
  }
  const fields: Partial<Record<CronFieldName, string | number>> = {};
  for (const field of fieldKeys) {
    const value = s[field];
    if (typeof value !== 'number' && typeof value !== 'string') {
      issues.add(`schedule.${field}`, `must be a number or a cron field string such as "*/5", got ${shown(value)}`);
      continue;
    }
    const parsed = parseCronField(field, value);
    if (typeof parsed === 'string') issues.add(`schedule.${field}`, parsed);
    else fields[field] = value;
  }
  return { trigger: 'cron', fields, ...common };
}

function intervalSpec(issues: Issues, s: Table, common: TriggerCommon, quiet: boolean): ScheduleSpec | undefined {
  const units = Object.keys(INTERVAL_UNITS).filter((k) => k in s);
  if (units.length === 0) {
    if (!quiet) issues.add('schedule', `has trigger "interval" but no ${Object.keys(INTERVAL_UNITS).join(', ')}`);
    return undefined;
  }
  let seconds = 0;
  let valid = true;
  for (const unit of units) {
    const n = readNumber(issues, `schedule.${unit}`, s[unit], { min: 0 });
    if (n === undefined) valid = false;
    else seconds += n * INTERVAL_UNITS[unit]!;
  }
  if (!valid) return undefined;
  // Past this, start + k·interval leaves the range of Date and next_run reads "NaN-NaN-…".
  if (!(seconds <= TEN_YEARS.value)) {
    const [unit] = units;
    if (units.length === 1) issues.add(`schedule.${unit}`, `must be at most ${TEN_YEARS.text}, got ${shown(s[unit!])} ${unit === 'interval_seconds' ? 'seconds' : unit}`);
    else issues.add('schedule', `has an interval of ${seconds} seconds (${units.join(', ')}): it must be at most ${TEN_YEARS.text}`);
    return undefined;
  }
  const intervalMs = Math.round(seconds * 1000);
  if (intervalMs <= 0) {
    issues.add('schedule', `has an interval of ${seconds} seconds: ${units.join(', ')} must add up to at least 1 ms`);
    return undefined;
  }
  return { trigger: 'interval', interval_ms: intervalMs, ...common };
}
