/** Registration warnings: which other jobs fire in the same second within the next 24 h. */
import { describe, expect, it } from 'vitest';
import { findOverlaps } from '../../src/supervisor/overlaps.js';
import { soloJob } from '../_fakes.js';

const t0 = Date.parse('2026-06-01T00:00:00Z');
const every = (id: string, interval: Record<string, number>, anchor = t0) => soloJob(id, { schedule: { trigger: 'interval', ...interval } }, anchor);

describe('findOverlaps', () => {
  it('finds a job firing at the same seconds', () => {
    const job = every('a', { hours: 1 });
    expect(findOverlaps(job, [every('b', { hours: 2 }), every('c', { minutes: 30 })], t0)).toEqual(['b', 'c']);
  });

  it('a second apart is no overlap', () => {
    expect(findOverlaps(every('a', { hours: 1 }), [every('b', { hours: 1 }, t0 + 1000)], t0)).toEqual([]);
  });

  it('skips the job itself, paused jobs and on-demand jobs', () => {
    const job = every('a', { hours: 1 });
    const paused = every('p', { hours: 1 });
    paused.entry.paused = true;
    expect(findOverlaps(job, [job, paused, soloJob('d')], t0)).toEqual([]);
  });

  it('an on-demand job overlaps nothing', () => {
    expect(findOverlaps(soloJob('d'), [every('b', { hours: 1 })], t0)).toEqual([]);
  });

  it('looks 24 hours ahead, no further', () => {
    // b fires every 25 h: its first fire is past the window.
    expect(findOverlaps(every('a', { hours: 25 }), [every('b', { hours: 25 })], t0)).toEqual([]);
    expect(findOverlaps(every('a', { hours: 23 }), [every('b', { hours: 23 })], t0)).toEqual(['b']);
  });

  it('asks a dense schedule directly where this job fires beyond the fires it keeps (every 5 min keeps ~4 h)', () => {
    // a fires once, 23 h from now; b's cached fires end hours before that, but b fires then too.
    expect(findOverlaps(every('a', { hours: 23 }), [every('b', { minutes: 5 })], t0)).toEqual(['b']);
    expect(findOverlaps(every('a', { hours: 23 }), [every('b', { minutes: 5 }, t0 + 1000)], t0)).toEqual([]);
  });

  it('recomputes a job\'s cached fires once the first of them has passed', () => {
    const a = every('a', { hours: 1 });
    const b = every('b', { hours: 1 });
    expect(findOverlaps(a, [b], t0)).toEqual(['b']);
    const later = t0 + 30 * 3600_000;
    expect(findOverlaps(a, [b], later)).toEqual(['b']);
    expect(a.fireSeconds![0]! * 1000).toBeGreaterThan(later);
  });
});
