/**
 * Collecting validation problems: every check adds to one list, so a document with three typos
 * reports three lines at once (as bree's job validator does), not one per save.
 */
import { MxxError } from '../errors.js';
import { didYouMean } from './suggest.js';
import type { ValidationIssue } from './types.js';

export type Table = Record<string, unknown>;

/**
 * One line of an INVALID_JOB message: `daily.toml: schedule.minuet is not a known key (did you
 * mean "minute"?)`. An issue's `message` is the predicate that follows its path (or a whole
 * sentence when `path` is empty); a syntax error reads `daily.toml:3:8: invalid value`.
 */
export function formatIssue(source: string, issue: ValidationIssue): string {
  if (issue.line !== undefined) return `${source}:${issue.line}:${issue.column ?? 1}: ${issue.message}`;
  return issue.path ? `${source}: ${issue.path} ${issue.message}` : `${source}: ${issue.message}`;
}

export class Issues {
  readonly list: ValidationIssue[] = [];

  constructor(readonly source: string) {}

  add(path: string, message: string): void {
    this.list.push({ path, message });
  }

  /** Throws the one INVALID_JOB error listing every problem, if there is any. */
  throwIfAny(): void {
    if (this.list.length === 0) return;
    throw new MxxError('INVALID_JOB', this.list.map((issue) => formatIssue(this.source, issue)).join('\n'), {
      details: this.list,
      hint: 'fix the listed keys (`mxx validate FILE` checks a job file without registering it)',
    });
  }
}

export function isTable(value: unknown): value is Table {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** How a wrong value is shown in a message: `"x"`, `0`, `an array`, `a table`. */
export function shown(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (isTable(value)) return 'a table';
  if (typeof value === 'number') return String(value); // JSON would print Infinity and NaN as null
  return JSON.stringify(value) ?? String(value);
}

/** Reports keys of `table` that are not in `known`, with a suggestion. */
export function checkKeys(issues: Issues, table: Table, known: readonly string[], prefix: string): void {
  for (const key of Object.keys(table)) {
    if (known.includes(key)) continue;
    const hint = didYouMean(key, known);
    issues.add(`${prefix}.${key}`, `is not a known key${hint || ` (known keys: ${known.join(', ')})`}`);
  }
}

export interface NumberRule {
  /** Lowest allowed value. */
  min?: number;
  /** The minimum itself is not allowed (`> 0`). @default false */
  exclusive?: boolean;
  /** Whole numbers only. @default false */
  integer?: boolean;
  /** Highest allowed value: past it a timer overflows or a run can never end as written. */
  max?: { value: number; text: string };
}

/** 365 days, in seconds: the cap of lifetime, grace, jitter and retry_delay (SPEC §3). */
export const ONE_YEAR: NonNullable<NumberRule['max']> = { value: 31_536_000, text: '31536000 seconds (one year)' };
/** The cap of an interval (SPEC §3). */
export const TEN_YEARS: NonNullable<NumberRule['max']> = { value: 315_360_000, text: '315360000 seconds (ten years)' };

/** A finite number within the rule, or undefined (after recording why) — absent stays undefined. */
export function readNumber(issues: Issues, path: string, value: unknown, rule: NumberRule = {}): number | undefined {
  if (value === undefined) return undefined;
  const what = `${rule.integer ? 'a whole number' : 'a number'}${
    rule.min === undefined ? '' : rule.exclusive ? ` greater than ${rule.min}` : ` of ${rule.min} or more`
  }`;
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (!rule.integer || Number.isInteger(value)) &&
    (rule.min === undefined || (rule.exclusive ? value > rule.min : value >= rule.min));
  if (!ok) {
    issues.add(path, `must be ${what}, got ${shown(value)}`);
    return undefined;
  }
  if (rule.max !== undefined && (value as number) > rule.max.value) {
    issues.add(path, `must be at most ${rule.max.text}, got ${shown(value)}`);
    return undefined;
  }
  return value as number;
}

/** Records that a string holds a NUL byte, which no exec, path or environment can carry. */
export function checkNoNul(issues: Issues, path: string, value: string): boolean {
  if (!value.includes('\0')) return true;
  issues.add(path, 'must not contain a NUL byte');
  return false;
}

/** A non-empty string, or undefined (after recording why when present). */
export function readString(issues: Issues, path: string, value: unknown, what = 'a non-empty string'): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') {
    issues.add(path, `must be ${what}, got ${shown(value)}`);
    return undefined;
  }
  return checkNoNul(issues, path, value) ? value : undefined;
}

/** One of `choices`, with a suggestion for a near miss. */
export function readChoice<T extends string>(issues: Issues, path: string, value: unknown, choices: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && (choices as readonly string[]).includes(value)) return value as T;
  const hint = typeof value === 'string' ? didYouMean(value, choices) : '';
  issues.add(path, `must be one of ${choices.join(', ')}, got ${shown(value)}${hint}`);
  return undefined;
}

/**
 * How deep a document may nest. A job document is three levels deep (document, section, `env` or
 * a `cmd` array); the limit only has to stop a hostile body before toPlain recurses off the stack.
 */
export const MAX_DEPTH = 32;

/** Thrown by toPlain; parseJobDocument turns it into one issue. */
export class TooDeepError extends Error {
  /** The first keys of the path that went too deep (the whole path could be 50 000 keys long). */
  readonly path: string;
  constructor(keys: readonly (string | number)[]) {
    super(`nested more than ${MAX_DEPTH} levels deep`);
    this.path = keys.slice(0, 4).reduce<string>((out, k) => (typeof k === 'number' ? `${out}[${k}]` : out ? `${out}.${k}` : k), '');
  }
}

/**
 * A plain JSON copy of a parsed document: TOML dates (smol-toml's TomlDate) become their ISO text
 * (`2026-03-01T10:00:00.000` stays local, read later in the job's timezone), so the registry can
 * store `config`/`schedule` as JSON and re-parse them to the same job. Throws TooDeepError past
 * MAX_DEPTH levels of tables and arrays.
 */
export function toPlain(value: unknown, keys: (string | number)[] = []): unknown {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? String(value) : value.toISOString();
  const nested = Array.isArray(value) || isTable(value);
  if (nested && keys.length >= MAX_DEPTH) throw new TooDeepError(keys);
  if (Array.isArray(value)) return value.map((v, i) => toPlain(v, [...keys, i]));
  if (isTable(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toPlain(v, [...keys, k])]));
  return value;
}
