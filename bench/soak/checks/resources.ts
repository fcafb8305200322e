/**
 * File descriptors and memory stay flat: the last server life's steady state against the first's,
 * from the samples taken after a warm-up. A leak grows with every fire or every restart; growth
 * past 50 fds or 50 % RSS fails. The fds compared leave out the open history files: the history
 * keeps a busy job's file open until it has been idle 5 s (up to 256), so they swing by a hundred
 * or more with the schedule. Of the rest the floor (fewest seen) is compared, as runs in flight
 * hold a few; a leak lifts the floor. For RSS, the median.
 */
import type { ServerLife, Sample } from '../server.js';
import { skipped, verdict, type Invariant } from './invariant.js';

export const FD_GROWTH_LIMIT = 50;
export const RSS_GROWTH_LIMIT = 1.5;

export interface SteadyState {
  life: number;
  samples: number;
  /** Fewest fds seen, open history files left out. */
  fds: number;
  fdsMax: number;
  /** Median of all fds, history files included. */
  fdsTotal: number;
  rssMb: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export function steadyState(life: ServerLife, warmMs: number): SteadyState | null {
  if (life.readyAt === null) return null;
  const steady: Sample[] = life.samples.filter((s) => s.at >= life.readyAt! + warmMs);
  if (steady.length < 2) return null;
  const fds = steady.map((s) => s.fds - s.historyFds);
  return { life: life.n, samples: steady.length, fds: Math.min(...fds), fdsMax: Math.max(...fds), fdsTotal: median(steady.map((s) => s.fds)), rssMb: median(steady.map((s) => s.rssKb)) / 1024 };
}

export interface ResourceFigures {
  first: SteadyState | null;
  last: SteadyState | null;
  fdGrowth: number | null;
  rssRatio: number | null;
}

export function checkResources(lives: ServerLife[], warmMs: number): { fds: Invariant; rss: Invariant; figures: ResourceFigures } {
  const states = lives.map((life) => steadyState(life, warmMs)).filter((s): s is SteadyState => s !== null);
  const first = states[0] ?? null;
  const last = states.length > 1 ? states.at(-1)! : null;
  if (!first || !last || process.platform !== 'linux') {
    const why = process.platform !== 'linux' ? 'needs /proc' : `fewer than two server lives with ${warmMs / 1000} s of steady samples`;
    return { fds: skipped('fds-flat', why), rss: skipped('rss-flat', why), figures: { first, last, fdGrowth: null, rssRatio: null } };
  }
  const fdGrowth = last.fds - first.fds;
  const rssRatio = last.rssMb / first.rssMb;
  const at = (s: SteadyState, value: string): string => `life ${s.life} (${s.samples} samples): ${value}`;
  const fds = verdict(
    'fds-flat',
    { [`fds more in the last life than in the first (limit ${FD_GROWTH_LIMIT})`]: fdGrowth > FD_GROWTH_LIMIT ? [at(first, `${first.fds} fds`), at(last, `${last.fds} fds`)] : [] },
    `server fds (floor, history files left out) ${first.fds} → ${last.fds} (${fdGrowth >= 0 ? '+' : ''}${fdGrowth}), first life ${first.life} vs last life ${last.life}`,
    `+${fdGrowth}`,
  );
  const rss = verdict(
    'rss-flat',
    { [`× RSS in the last life against the first (limit ${RSS_GROWTH_LIMIT}×)`]: rssRatio > RSS_GROWTH_LIMIT ? [at(first, `${first.rssMb.toFixed(0)} MB`), at(last, `${last.rssMb.toFixed(0)} MB`)] : [] },
    `RSS of server + spawners ${first.rssMb.toFixed(0)} → ${last.rssMb.toFixed(0)} MB (${rssRatio.toFixed(2)}×)`,
    `${rssRatio.toFixed(2)}×`,
  );
  // verdict's kind label leads with the count; for a single figure the ratio reads better.
  if (rss.pass === false) rss.summary = `RSS ${first.rssMb.toFixed(0)} → ${last.rssMb.toFixed(0)} MB: ${rssRatio.toFixed(2)}× > ${RSS_GROWTH_LIMIT}×`;
  if (fds.pass === false) fds.summary = `fds (floor) ${first.fds} → ${last.fds}: +${fdGrowth} > ${FD_GROWTH_LIMIT}`;
  return { fds, rss, figures: { first, last, fdGrowth, rssRatio } };
}
