import { describe, expect, it } from 'vitest';
import { createSchedule, describeNext } from '../../src/job/schedule.js';
import { machineTimeZone } from '../../src/job/zone.js';
import { toIsoLocal } from '../../src/records.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const MIN = 60_000;

describe('interval', () => {
  it('fires one interval after the anchor, then every interval', () => {
    const s = createSchedule({ trigger: 'interval', interval_ms: 5 * MIN }, T0);
    expect(s.nextN(T0, 3)).toEqual([T0 + 5 * MIN, T0 + 10 * MIN, T0 + 15 * MIN]);
    expect(s.next(T0 - 60 * MIN)).toBe(T0 + 5 * MIN); // never before the first interval has passed
  });

  it('follows the wall clock from the anchor: after a suspend the next fire is on the grid, not drifted', () => {
    const s = createSchedule({ trigger: 'interval', interval_ms: 5 * MIN }, T0);
    expect(s.next(T0 + 12 * MIN + 345)).toBe(T0 + 15 * MIN);
    expect(s.next(T0 + 15 * MIN)).toBe(T0 + 20 * MIN);
    expect(s.next(T0 + 15 * MIN - 1)).toBe(T0 + 15 * MIN);
  });

  it('takes fractional intervals in milliseconds', () => {
    const s = createSchedule({ trigger: 'interval', interval_ms: 1500 }, T0);
    expect(s.nextN(T0, 3)).toEqual([T0 + 1500, T0 + 3000, T0 + 4500]);
  });

  it('with start_date, fires at start_date + k·interval (k ≥ 0)', () => {
    const s = createSchedule({ trigger: 'interval', interval_ms: 10 * MIN, start_date: '2026-01-01T00:07:00Z' }, T0 + 3 * MIN);
    expect(s.nextN(T0, 3)).toEqual([T0 + 7 * MIN, T0 + 17 * MIN, T0 + 27 * MIN]);
    expect(s.next(T0 + 7 * MIN)).toBe(T0 + 17 * MIN);
    // A start_date in the past keeps its grid.
    expect(s.next(T0 + 1000 * MIN)).toBe(T0 + 1007 * MIN);
  });

  it('reads a start_date without offset in the timezone', () => {
    const s = createSchedule({ trigger: 'interval', interval_ms: 60 * MIN, start_date: '2026-01-01T09:00:00', timezone: 'Europe/Berlin' }, 0);
    expect(s.next(T0)).toBe(Date.parse('2026-01-01T08:00:00Z'));
  });

  it('stops after end_date (inclusive)', () => {
    const s = createSchedule({ trigger: 'interval', interval_ms: 5 * MIN, end_date: '2026-01-01T00:15:00Z' }, T0);
    expect(s.nextN(T0, 10)).toEqual([T0 + 5 * MIN, T0 + 10 * MIN, T0 + 15 * MIN]);
    expect(s.next(T0 + 15 * MIN)).toBeNull();
  });
});

describe('date', () => {
  it('runs once at run_date', () => {
    const s = createSchedule({ trigger: 'date', run_date: '2026-06-01T12:00:00', timezone: 'Europe/Berlin' }, T0);
    const at = Date.parse('2026-06-01T10:00:00Z');
    expect(s.next(T0)).toBe(at);
    expect(s.next(at - 1)).toBe(at);
    expect(s.next(at)).toBeNull();
    expect(s.nextN(T0, 5)).toEqual([at]);
  });

  it('reads offsets and date-only values', () => {
    expect(createSchedule({ trigger: 'date', run_date: '2026-06-01T12:00:00-04:00' }, 0).next(T0)).toBe(Date.parse('2026-06-01T16:00:00Z'));
    expect(createSchedule({ trigger: 'date', run_date: '2026-06-01', timezone: 'Asia/Tokyo' }, 0).next(T0)).toBe(Date.parse('2026-05-31T15:00:00Z'));
  });

  it('a run_date in the past never fires', () => {
    expect(createSchedule({ trigger: 'date', run_date: '2025-06-01T12:00:00Z' }, 0).next(T0)).toBeNull();
  });
});

describe('start_date and end_date bound cron too', () => {
  it('starts at start_date (inclusive) and ends at end_date (inclusive)', () => {
    const s = createSchedule(
      { trigger: 'cron', fields: { hour: 10 }, timezone: 'UTC', start_date: '2026-01-10T10:00:00Z', end_date: '2026-01-12T10:00:00Z' },
      0,
    );
    expect(describeNext(s, T0, 10)).toEqual(['2026-01-10T10:00:00.000+00:00', '2026-01-11T10:00:00.000+00:00', '2026-01-12T10:00:00.000+00:00']);
  });
});

describe('describeNext', () => {
  it('writes ISO 8601 with the offset of the schedule timezone', () => {
    const s = createSchedule({ trigger: 'cron', fields: { hour: 10, minute: 30 }, timezone: 'America/New_York' }, 0);
    expect(s.timezone).toBe('America/New_York');
    expect(describeNext(s, T0, 2)).toEqual(['2026-01-01T10:30:00.000-05:00', '2026-01-02T10:30:00.000-05:00']);
  });

  it('uses the machine zone when none is set, matching toIsoLocal', () => {
    const s = createSchedule({ trigger: 'interval', interval_ms: 90 * MIN }, T0);
    expect(s.timezone).toBe(machineTimeZone());
    expect(describeNext(s, T0, 2)).toEqual([toIsoLocal(T0 + 90 * MIN), toIsoLocal(T0 + 180 * MIN)]);
  });
});
