/**
 * Time-zone arithmetic on top of `Intl` (no date library): offsets, DST transitions, local ISO
 * dates read in a zone, and ISO strings with offset. Shared by the parser (to validate dates) and
 * the schedules (to walk the wall clock).
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/**
 * Transitions are searched by sampling the offset at this step. Real zones never change their
 * offset twice within a week (the closest pairs, e.g. Morocco around Ramadan, are a month apart),
 * so a week is safe and keeps far searches (a yearly cron) cheap.
 */
const TRANSITION_STEP = 7 * DAY;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The machine's IANA zone (`TZ` or the system setting); UTC when Intl cannot tell. */
export function machineTimeZone(): string {
  // A new Intl.DateTimeFormat costs ~0.1 ms and every job asks twice; the zone is read once.
  machineZone ??= Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC';
  return machineZone;
}

let machineZone: string | null = null;

/** Whether `Intl` knows the zone (IANA names like `Europe/Berlin`, `UTC`). */
export function isValidTimeZone(timeZone: string): boolean {
  if (timeZone.trim() === '') return false;
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** Milliseconds to add to an instant to get its wall-clock reading in `timeZone` (+1 h for CET). */
export function zoneOffset(timeZone: string, instant: number): number {
  return blockOffset(timeZone, instant) ?? exactOffset(timeZone, instant);
}

function exactOffset(timeZone: string, instant: number): number {
  const whole = Math.floor(instant / 1000) * 1000;
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(whole)) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return wallMs(parts.year!, parts.month!, parts.day!, parts.hour!, parts.minute!, parts.second!) - whole;
}

/**
 * Intl costs ~5 µs a call and a schedule asks for offsets many times per fire, so offsets are
 * cached per 15-minute block: a block whose first and last millisecond share an offset has no
 * transition inside (no zone changes its offset twice in 15 minutes). null = a transition inside.
 */
const BLOCK = 15 * 60_000;
const blocks = new Map<string, number | null>();

function blockOffset(timeZone: string, instant: number): number | null {
  const block = Math.floor(instant / BLOCK);
  const key = `${timeZone}|${block}`;
  let offset = blocks.get(key);
  if (offset === undefined) {
    const first = exactOffset(timeZone, block * BLOCK);
    offset = first === exactOffset(timeZone, block * BLOCK + BLOCK - 1) ? first : null;
    if (blocks.size >= 20_000) blocks.clear(); // bounded; refilled on demand
    blocks.set(key, offset);
  }
  return offset;
}

/** A wall-clock reading as "milliseconds since the epoch if the zone were UTC" (years 0–9999 safe). */
export function wallMs(year: number, month: number, day: number, hour = 0, minute = 0, second = 0, ms = 0): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, ms);
  return d.getTime();
}

/**
 * The first instant in (`from`, `limit`] where the zone's offset differs from its offset at `from`,
 * or null. Exact to the millisecond (binary search after a coarse scan).
 */
export function nextTransition(timeZone: string, from: number, limit: number): number | null {
  const offset = zoneOffset(timeZone, from);
  // The common case, answered from the cache: the same assumption as the scan below.
  if (limit - from <= TRANSITION_STEP && blockOffset(timeZone, from) === offset && blockOffset(timeZone, limit) === offset) return null;
  let lo = from;
  while (lo < limit) {
    const hi = Math.min(lo + TRANSITION_STEP, limit);
    if (exactOffset(timeZone, hi) !== offset) {
      let a = lo;
      let b = hi;
      while (b - a > 1) {
        const mid = Math.floor((a + b) / 2);
        if (exactOffset(timeZone, mid) === offset) a = mid;
        else b = mid;
      }
      return b;
    }
    lo = hi;
  }
  return null;
}

/**
 * The instant a wall-clock reading names in `timeZone`. A reading that occurs twice (fall back)
 * gives its first occurrence; one that does not exist (spring forward) gives the first instant
 * after the gap — the same rule the schedules follow.
 */
export function wallToInstant(timeZone: string, wall: number): number {
  const offsets = new Set([zoneOffset(timeZone, wall - DAY), zoneOffset(timeZone, wall), zoneOffset(timeZone, wall + DAY)]);
  const valid = [...offsets].map((o) => wall - o).filter((t) => zoneOffset(timeZone, t) === wall - t);
  if (valid.length > 0) return Math.min(...valid);
  // In a gap: the reading lies between the instants it would have under the old and new offsets.
  const [low, high] = [Math.min(...offsets), Math.max(...offsets)];
  return nextTransition(timeZone, wall - high, wall - low) ?? wall - low;
}

/** An ISO 8601 date or date-time, offset optional (the JSON Schema's date pattern is built from it). */
export const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?)?$/;

/**
 * Reads an ISO 8601 date or date-time. Without an offset it is a wall-clock reading in `timeZone`
 * (a date alone is its midnight). Returns null when the text is not a valid ISO date.
 */
export function parseIsoInZone(text: string, timeZone: string): number | null {
  const m = ISO_RE.exec(text.trim());
  if (!m) return null;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map((v) => Number(v ?? 0)) as [
    number, number, number, number, number, number,
  ];
  const ms = Number(`${m[7] ?? ''}000`.slice(0, 3)); // digits, not float maths: ".57" is 570 ms, not 569
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  const wall = wallMs(year, month, day, hour, minute, second, ms);
  if (new Date(wall).getUTCDate() !== day) return null; // 2026-02-30 rolls over: not a date
  if (m[8]) return wall;
  if (m[9]) {
    const offH = Number(m[10]);
    const offM = Number(m[11] ?? 0);
    if (offH > 23 || offM > 59) return null;
    return wall - (m[9] === '-' ? -1 : 1) * (offH * HOUR + offM * 60_000);
  }
  return wallToInstant(timeZone, wall);
}

/** `2026-03-29T03:00:00.000+02:00`: the instant as read in `timeZone`, with that zone's offset. */
export function formatIsoInZone(instant: number, timeZone: string): string {
  const offset = zoneOffset(timeZone, instant);
  const d = new Date(instant + offset);
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  const abs = Math.abs(Math.round(offset / 60_000));
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}` +
    `T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}` +
    `${offset < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}
