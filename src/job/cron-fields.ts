/**
 * Cron fields in APScheduler's form (`hour = 2`, `day_of_week = "mon-fri"`, `day = "last"`):
 * validation, and translation to a croner pattern read on a zone-less wall clock. What croner
 * cannot express (ISO week numbers, "2nd fri"/"last" in the day field) becomes a day filter.
 */
import type { CronFieldName } from './types.js';

/** Most significant first: the order APScheduler fills defaults in. */
export const CRON_FIELDS = ['year', 'month', 'day', 'week', 'day_of_week', 'hour', 'minute', 'second'] as const satisfies readonly CronFieldName[];

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
/** APScheduler numbering: 0 = Monday … 6 = Sunday. */
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

export interface FieldRange {
  min: number;
  max: number;
  /** Names accepted for values: `names[i]` is `min + i`. */
  names?: readonly string[];
  expected: string;
}

/** Numeric ranges per field (also the JSON Schema's minimum and maximum of a number value). */
export const CRON_RANGES: Readonly<Record<CronFieldName, FieldRange>> = {
  year: { min: 1970, max: 9999, expected: 'a year (1970-9999)' },
  month: { min: 1, max: 12, names: MONTHS, expected: '1-12 or jan-dec' },
  day: { min: 1, max: 31, expected: '1-31, "last", or "1st mon" … "5th sun", "last fri"' },
  week: { min: 1, max: 53, expected: 'an ISO week 1-53' },
  day_of_week: { min: 0, max: 6, names: WEEKDAYS, expected: '0-6 (0 = Monday) or mon-sun' },
  hour: { min: 0, max: 23, expected: '0-23' },
  minute: { min: 0, max: 59, expected: '0-59' },
  second: { min: 0, max: 59, expected: '0-59' },
};

/** APScheduler's defaults for fields after the least significant one given. */
const DEFAULTS: Record<CronFieldName, string> = {
  year: '*', month: '1', day: '1', week: '*', day_of_week: '*', hour: '0', minute: '0', second: '0',
};

/** A day-of-month rule croner cannot combine with APScheduler's AND semantics: checked by hand. */
export type DayRule = { kind: 'last' } | { kind: 'nth'; nth: number | 'last'; weekday: number };

export interface ParsedField {
  /** Allowed values, ascending; null = any. */
  values: number[] | null;
  /** `day` only: "last", "2nd fri", "last sun" (any of them, or of `values`, matches). */
  rules: DayRule[];
}

const NTH = ['1st', '2nd', '3rd', '4th', '5th'];
const ITEM_RE = /^([a-z0-9]+|\*)(?:-([a-z0-9]+))?(?:\/(\d+))?$/;

/** Parses one field value; returns the problem as a string when it is invalid. */
export function parseCronField(name: CronFieldName, raw: string | number): ParsedField | string {
  const range = CRON_RANGES[name];
  const fail = (why: string): string => `must be ${range.expected} or a cron field ("*", "*/5", "1-5", "1,3"), got ${JSON.stringify(raw)} (${why})`;
  if (typeof raw === 'number') {
    if (!Number.isInteger(raw)) return fail('not a whole number');
    if (raw < range.min || raw > range.max) return fail(`out of range ${range.min}-${range.max}`);
    return { values: [raw], rules: [] };
  }
  const text = raw.trim().toLowerCase();
  if (text === '') return fail('empty');
  const values = new Set<number>();
  const rules: DayRule[] = [];
  let any = false;
  for (const item of text.split(',').map((s) => s.trim().replace(/\s+/g, ' '))) {
    if (item === '') return fail('empty list item');
    if (name === 'day') {
      const rule = parseDayRule(item);
      if (rule) {
        rules.push(rule);
        continue;
      }
    }
    const m = ITEM_RE.exec(item);
    if (!m) return fail(`cannot read "${item}"`);
    const [, first = '', last, step] = m;
    if (step !== undefined && Number(step) < 1) return fail('a step must be 1 or more');
    let lo: number;
    let hi: number;
    if (first === '*') {
      if (last !== undefined) return fail(`cannot read "${item}"`);
      // A bare "*" needs no value list (for year it would be 8030 of them, a millisecond a job).
      if (step === undefined) {
        any = true;
        continue;
      }
      [lo, hi] = [range.min, range.max];
    } else {
      const a = readValue(first, range);
      if (typeof a === 'string') return fail(a);
      const b = last === undefined ? (step === undefined ? a : range.max) : readValue(last, range);
      if (typeof b === 'string') return fail(b);
      if (b < a) return fail(`range ${item} runs backwards`);
      [lo, hi] = [a, b];
    }
    // APScheduler refuses these; reading "*/31" as "1" would hide the mistake.
    if (step !== undefined && Number(step) > hi - lo) return fail(`the step ${step} is larger than ${lo}-${hi} spans (${hi - lo}), so it leaves only ${lo}`);
    for (let v = lo; v <= hi; v += Number(step ?? 1)) values.add(v);
  }
  if (any) return { values: null, rules: [] };
  return { values: [...values].sort((x, y) => x - y), rules };
}

function readValue(token: string, range: FieldRange): number | string {
  if (/^\d+$/.test(token)) {
    const v = Number(token);
    return v < range.min || v > range.max ? `${v} is out of range ${range.min}-${range.max}` : v;
  }
  const index = range.names?.indexOf(token) ?? -1;
  if (index < 0) return range.names ? `unknown name "${token}"` : `"${token}" is not a number`;
  return range.min + index;
}

function parseDayRule(item: string): DayRule | undefined {
  if (item === 'last') return { kind: 'last' };
  const m = /^(1st|2nd|3rd|4th|5th|last) ([a-z]+)$/.exec(item);
  const weekday = m ? WEEKDAYS.indexOf(m[2]!) : -1;
  if (!m || weekday < 0) return undefined;
  return { kind: 'nth', nth: m[1] === 'last' ? 'last' : NTH.indexOf(m[1]!) + 1, weekday };
}

/** A cron schedule as a croner pattern on a zone-less wall clock, plus what croner cannot say. */
export interface CronPlan {
  /** croner pattern: 6 or 7 parts (seconds first). */
  pattern: string;
  /** croner's `domAndDow`: true for the field form (APScheduler), false for expressions (Vixie OR). */
  domAndDow: boolean;
  /** Extra test on a wall-clock date (read with UTC getters); false skips the whole day. */
  dayFilter?: (wall: Date) => boolean;
}

/**
 * The field form with APScheduler's defaults: fields after the least significant one given take
 * their minimum (`week`, `day_of_week` stay `*`), all other missing fields are `*`. So `hour = 2`
 * is 02:00:00 daily, `minute = 0` hourly, and `month = 6, day_of_week = "mon"` every Monday of June.
 * Throws an Error naming the first invalid field (the parser reports them all beforehand).
 */
export function planFieldCron(given: Partial<Record<CronFieldName, string | number>>): CronPlan {
  const lastGiven = Math.max(...CRON_FIELDS.map((f, i) => (given[f] === undefined ? -1 : i)));
  const parsed = {} as Record<CronFieldName, ParsedField>;
  CRON_FIELDS.forEach((field, i) => {
    const raw = given[field] ?? (i > lastGiven ? DEFAULTS[field] : '*');
    const result = parseCronField(field, raw);
    if (typeof result === 'string') throw new Error(`${field} ${result}`);
    parsed[field] = result;
  });
  const { day, week } = parsed;
  const dayByHand = day.rules.length > 0;
  const dow = parsed.day_of_week.values?.map((v) => (v + 1) % 7); // croner: 0 = Sunday
  const parts = [
    list(parsed.second.values),
    list(parsed.minute.values),
    list(parsed.hour.values),
    dayByHand ? '*' : list(day.values),
    list(parsed.month.values),
    list(dow ? [...dow].sort((a, b) => a - b) : null),
    list(parsed.year.values),
  ];
  const filters: Array<(wall: Date) => boolean> = [];
  if (dayByHand) filters.push((wall) => matchesDay(wall, day));
  if (week.values) {
    const weeks = new Set(week.values);
    filters.push((wall) => weeks.has(isoWeek(wall)));
  }
  return {
    pattern: parts.join(' '),
    domAndDow: true,
    ...(filters.length ? { dayFilter: (wall: Date) => filters.every((f) => f(wall)) } : {}),
  };
}

/** `[1,2,3,7]` → `1-3,7`; null → `*`. */
function list(values: number[] | null): string {
  if (values === null) return '*';
  const out: string[] = [];
  for (let i = 0; i < values.length; ) {
    let j = i;
    while (j + 1 < values.length && values[j + 1] === values[j]! + 1) j++;
    out.push(j > i ? `${values[i]}-${values[j]}` : String(values[i]));
    i = j + 1;
  }
  return out.join(',');
}

function matchesDay(wall: Date, day: ParsedField): boolean {
  const date = wall.getUTCDate();
  if (day.values?.includes(date)) return true;
  const lastDate = new Date(Date.UTC(wall.getUTCFullYear(), wall.getUTCMonth() + 1, 0)).getUTCDate();
  const weekday = (wall.getUTCDay() + 6) % 7;
  return day.rules.some((rule) => {
    if (rule.kind === 'last') return date === lastDate;
    if (rule.weekday !== weekday) return false;
    return rule.nth === 'last' ? date + 7 > lastDate : Math.ceil(date / 7) === rule.nth;
  });
}

/** ISO 8601 week number (weeks start on Monday; week 1 holds the year's first Thursday). */
export function isoWeek(wall: Date): number {
  const d = new Date(Date.UTC(wall.getUTCFullYear(), wall.getUTCMonth(), wall.getUTCDate()));
  d.setUTCDate(d.getUTCDate() + 4 - (d.getUTCDay() || 7)); // the Thursday of this week names its year
  const yearStart = Date.UTC(d.getUTCFullYear(), 0, 1);
  return Math.ceil(((d.getTime() - yearStart) / 86_400_000 + 1) / 7);
}
