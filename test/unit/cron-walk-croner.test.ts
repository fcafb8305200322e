/**
 * Pins what src/job/cron-walk.ts relies on inside croner (package.json pins 11.0.1): a Cron keeps
 * its CronPattern in the private `_states.pattern`, whose 10 000-slot `year` table is never read
 * for a `*` year, so sharedCron() empties it (80 KB per distinct pattern). A croner upgrade that
 * moves the table or starts reading it fails here, with what to do, instead of silently costing
 * memory or changing fires.
 */
import { readFileSync } from 'node:fs';
import { Cron, CronPattern } from 'croner';
import { describe, expect, it } from 'vitest';
import type { CronPlan } from '../../src/job/cron-fields.js';
import { sharedCron } from '../../src/job/cron-walk.js';

const { version } = JSON.parse(readFileSync(new URL('../../node_modules/croner/package.json', import.meta.url), 'utf8')) as { version: string };
const RELIES = `dropUnusedYearTable() in src/job/cron-walk.ts relies on croner 11.0.1 internals (installed: croner ${version})`;

function patternOf(cron: Cron): CronPattern | undefined {
  return (cron as unknown as { _states?: { pattern?: CronPattern } })._states?.pattern;
}

function fresh(plan: CronPlan): Cron {
  return new Cron(plan.pattern, { utcOffset: 0, mode: plan.pattern.split(' ').length === 7 ? '7-part' : '6-part', domAndDow: plan.domAndDow });
}

/** Patterns with a `*` year: each kind of field croner walks (lists, steps, L, #, W, and/or of dom and dow). */
const STAR_YEAR: CronPlan[] = [
  { pattern: '0 0 12 * * *', domAndDow: false },
  { pattern: '0 */15 2 * * *', domAndDow: false },
  { pattern: '30 5 2,14 * * 1-5', domAndDow: false },
  { pattern: '0 0 0 L * *', domAndDow: false },
  { pattern: '0 0 9 * * 5#2', domAndDow: false },
  { pattern: '0 0 9 15W * *', domAndDow: false },
  { pattern: '0 0 6 13 * 5', domAndDow: false },
  { pattern: '0 0 6 13 * 5', domAndDow: true },
  { pattern: '0 0 0 29 2 *', domAndDow: true },
  { pattern: '0 0 12 * * * *', domAndDow: true },
  { pattern: '15 45 23 31 12 * *', domAndDow: true },
];

const STARTS = ['2026-01-01T00:00:00Z', '2026-03-29T01:59:59Z', '2027-12-31T23:59:59Z', '2099-02-27T12:00:00Z'].map((t) => new Date(t));

function walk(cron: Cron, from: Date, steps: number): Array<number | null> {
  const out: Array<number | null> = [];
  let at: Date | null = from;
  for (let i = 0; i < steps && at; i++) {
    at = cron.nextRun(at);
    out.push(at?.getTime() ?? null);
  }
  return out;
}

describe('croner internals that cron-walk relies on', () => {
  it('a Cron holds its pattern at _states.pattern, with a 10 000-slot year table for a * year', () => {
    const pattern = patternOf(fresh({ pattern: '0 0 12 * * *', domAndDow: false }));
    expect(pattern instanceof CronPattern, `${RELIES}: a Cron no longer keeps its CronPattern at _states.pattern; find where it moved and update dropUnusedYearTable`).toBe(true);
    expect(pattern!.starYear, `${RELIES}: CronPattern.starYear is no longer true for a * year`).toBe(true);
    expect(
      pattern!.year.length,
      `${RELIES}: croner no longer allocates a 10 000-slot year table for a * year; if it allocates none, delete dropUnusedYearTable`,
    ).toBe(10_000);
  });

  it('sharedCron empties that table for a * year, and keeps it for a restricted year', () => {
    for (const plan of STAR_YEAR) {
      expect(patternOf(sharedCron(plan))?.year, `${RELIES}: the year table of ${plan.pattern} was not dropped`).toEqual([]);
    }
    const restricted = sharedCron({ pattern: '0 0 12 1 1 * 2030', domAndDow: true });
    expect(patternOf(restricted)?.year.length).toBe(10_000);
    expect(restricted.nextRun(new Date('2026-01-01T00:00:00Z'))?.toISOString()).toBe('2030-01-01T12:00:00.000Z');
  });

  it('with the year table emptied, croner finds the same fires as with it', () => {
    for (const plan of STAR_YEAR) {
      const shared = sharedCron(plan);
      const reference = fresh(plan);
      expect(patternOf(reference)?.year.length).toBe(10_000);
      for (const start of STARTS) {
        expect(
          walk(shared, start, 40),
          `${RELIES}: with an empty year table croner answers differently for ${plan.pattern} from ${start.toISOString()} — it now reads the table for a * year; remove dropUnusedYearTable or adapt it`,
        ).toEqual(walk(reference, start, 40));
      }
    }
  });
});
