/** A schedule section (as written in a job file or API body) in words: "daily at 10:30", "every 5 minutes". */
import { formatAbsolute } from './time.js';

type Doc = Record<string, unknown>;

const FIELDS = ['year', 'month', 'day', 'week', 'day_of_week', 'hour', 'minute', 'second'] as const;
const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const UNITS: Array<[string, number]> = [
  ['week', 604_800],
  ['day', 86_400],
  ['hour', 3_600],
  ['minute', 60],
  ['second', 1],
];

export function describeSchedule(schedule: Doc | null | undefined): string {
  if (!schedule) return 'on demand';
  const zone = typeof schedule.timezone === 'string' ? ` (${schedule.timezone})` : '';
  const trigger = schedule.trigger ?? (schedule.cron !== undefined ? 'cron' : schedule.run_date !== undefined ? 'date' : undefined);
  switch (trigger) {
    case 'interval':
      return describeInterval(schedule);
    case 'date':
      return `once at ${formatAbsolute(String(schedule.run_date))}`;
    case 'cron':
      return describeCron(schedule) + zone;
    default:
      return `trigger ${String(trigger)}`;
  }
}

function describeInterval(s: Doc): string {
  const num = (k: string): number => (typeof s[k] === 'number' ? (s[k] as number) : Number(s[k] ?? 0) || 0);
  const total =
    num('weeks') * 604_800 + num('days') * 86_400 + num('hours') * 3_600 + num('minutes') * 60 + num('seconds') + num('interval_seconds');
  if (total <= 0) return 'interval';
  // The largest unit that divides evenly, unless that reads as a long count ("every 5430 seconds").
  const unit = UNITS.find(([, size]) => total >= size && total % size === 0);
  if (unit && total / unit[1] < 100) return plural(total / unit[1], unit[0]);
  return `every ${compound(total)}`;
}

/** 5400 → `1h 30m`; sub-second remainders are kept as fractions of a second. */
function compound(total: number): string {
  const parts: string[] = [];
  let rest = total;
  for (const [unit, size] of UNITS) {
    const n = unit === 'second' ? Math.round(rest * 1000) / 1000 : Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit === 'week' ? 'w' : unit[0]}`);
    rest -= unit === 'second' ? rest : n * size;
  }
  return parts.join(' ') || `${total}s`;
}

const isPlain = (v: unknown): v is number | string => typeof v === 'number' || (typeof v === 'string' && /^\d+$/.test(v));
const two = (v: unknown): string => String(v).padStart(2, '0');

function every(v: unknown): number | undefined {
  const m = typeof v === 'string' ? /^\*\/(\d+)$/.exec(v) : null;
  return m ? Number(m[1]) : undefined;
}

function plural(n: number, unit: string): string {
  return n === 1 ? `every ${unit}` : `every ${n} ${unit}s`;
}

function dayNames(v: unknown): string {
  // APScheduler numbering: 0 = Monday.
  return String(v)
    .split(',')
    .map((part) =>
      part
        .split('-')
        .map((d) => (/^\d$/.test(d) ? (DAYS[Number(d)] ?? d) : d.charAt(0).toUpperCase() + d.slice(1).toLowerCase()))
        .join('-'),
    )
    .join(',');
}

function describeCron(s: Doc): string {
  if (typeof s.cron === 'string') return `cron ${s.cron}`;
  const given = FIELDS.filter((f) => s[f] !== undefined);
  const has = (...names: string[]): boolean => given.length === names.length && names.every((n) => s[n] !== undefined);
  const secondOk = s.second === undefined || Number(s.second) === 0;
  const time = (): string => `${two(s.hour ?? 0)}:${two(s.minute ?? 0)}${secondOk ? '' : `:${two(s.second)}`}`;
  const timeFields = ['hour', 'minute', 'second'].filter((f) => s[f] !== undefined);
  const timePlain = timeFields.every((f) => isPlain(s[f]));

  if (given.length === 1) {
    const [only] = given;
    const step = every(s[only as string]);
    if (only === 'minute' && step !== undefined) return plural(step, 'minute');
    if (only === 'second' && step !== undefined) return plural(step, 'second');
    if (only === 'hour' && step !== undefined) return plural(step, 'hour');
    if (only === 'minute' && isPlain(s.minute)) return `hourly at :${two(s.minute)}`;
  }
  if (s.hour !== undefined && timePlain && given.length === timeFields.length) return `daily at ${time()}`;
  if (timePlain && has('day_of_week', ...timeFields)) return `at ${time()} on ${dayNames(s.day_of_week)}`;
  if (timePlain && isPlain(s.day) && has('day', ...timeFields)) return `monthly on day ${s.day} at ${time()}`;
  return `cron ${given.map((f) => `${f}=${String(s[f])}`).join(' ')}`;
}
