/** What a scenario is, what it reports, and the context the runner gives it. */
import { ratio } from './stats.js';

export interface BenchOptions {
  quick: boolean;
  /** Scenario ids or numbers to run; null = all. */
  only: Set<string> | null;
  /** --seconds: the duration of the timed scenarios (precision, saturation, overlap). */
  seconds: number | null;
  verbose: boolean;
}

export interface Target {
  text: string;
  met: boolean | null;
}

/** One line of the table: our figure, the baseline measured in the same run, and the target. */
export interface Row {
  figure: string;
  value: number | null;
  unit: string;
  /** What the baseline is (e.g. "croner + spawn, main thread"). */
  baseline?: string;
  baselineValue?: number | null;
  /** value ÷ baselineValue. */
  ratio?: number | null;
  target?: Target;
  note?: string;
}

export interface ScenarioResult {
  rows: Row[];
  /** Raw numbers for the JSON file. */
  details?: Record<string, unknown>;
  /** Sentences for the report (what limits a figure, what was skipped). */
  notes?: string[];
}

export interface BenchContext {
  options: BenchOptions;
  /** Progress line on stderr. */
  log(message: string): void;
  /** Results one scenario leaves for another (e.g. the 1000-job run serves precision and saturation). */
  shared: Map<string, unknown>;
  /** --seconds if given, else the quick or the full default. */
  seconds(full: number, quick: number): number;
  /** Picks the quick or the full value. */
  pick<T>(full: T, quick: T): T;
}

export interface Scenario {
  /** Number in the issue (1-10). */
  n: number;
  id: string;
  title: string;
  run(ctx: BenchContext): Promise<ScenarioResult>;
}

export function row(
  figure: string,
  value: number | null,
  unit: string,
  extra: { baseline?: string; baselineValue?: number | null; target?: Target; note?: string } = {},
): Row {
  const out: Row = { figure, value, unit, ...extra };
  if (extra.baselineValue !== undefined) out.ratio = ratio(value, extra.baselineValue);
  return out;
}

/** A target that holds when `value` is at most `limit` (null when there is no value). */
export function atMost(value: number | null | undefined, limit: number, text: string): Target {
  return { text, met: value === null || value === undefined ? null : value <= limit };
}

export function atLeast(value: number | null | undefined, limit: number, text: string): Target {
  return { text, met: value === null || value === undefined ? null : value >= limit };
}

export function holds(ok: boolean | null, text: string): Target {
  return { text, met: ok };
}
