import { describe, expect, it } from 'vitest';
import { createSchedule, describeNext } from '../../src/job/schedule.js';
import type { CronSchedule } from '../../src/job/types.js';

/** The next n fires after `from`, as ISO text in the schedule's zone. */
function fires(spec: Omit<CronSchedule, 'trigger'>, from: string, n = 3): string[] {
  const schedule = createSchedule({ trigger: 'cron', timezone: 'UTC', ...spec }, 0);
  return describeNext(schedule, Date.parse(from), n);
}

const FROM = '2026-01-01T00:00:00Z'; // a Thursday

describe('cron field form (APScheduler semantics)', () => {
  it('hour = 2: 02:00:00 daily', () => {
    expect(fires({ fields: { hour: 2 } }, FROM)).toEqual(['2026-01-01T02:00:00.000+00:00', '2026-01-02T02:00:00.000+00:00', '2026-01-03T02:00:00.000+00:00']);
  });

  it('minute = 0: hourly at :00', () => {
    expect(fires({ fields: { minute: 0 } }, '2026-01-01T10:20:00Z')).toEqual([
      '2026-01-01T11:00:00.000+00:00',
      '2026-01-01T12:00:00.000+00:00',
      '2026-01-01T13:00:00.000+00:00',
    ]);
  });

  it('second defaults to 0; second alone fires every minute', () => {
    expect(fires({ fields: { hour: 10, minute: 30 } }, FROM, 1)).toEqual(['2026-01-01T10:30:00.000+00:00']);
    expect(fires({ fields: { second: 30 } }, '2026-01-01T10:20:40Z', 2)).toEqual(['2026-01-01T10:21:30.000+00:00', '2026-01-01T10:22:30.000+00:00']);
  });

  it('fields between given ones stay "*" (hour = 10, second = 5: every minute of 10 o\'clock)', () => {
    expect(fires({ fields: { hour: 10, second: 5 } }, FROM, 3)).toEqual([
      '2026-01-01T10:00:05.000+00:00',
      '2026-01-01T10:01:05.000+00:00',
      '2026-01-01T10:02:05.000+00:00',
    ]);
  });

  it('month = 6, day_of_week = mon: every Monday of June (day is "*", not 1)', () => {
    expect(fires({ fields: { month: 6, day_of_week: 'mon' } }, FROM, 3)).toEqual([
      '2026-06-01T00:00:00.000+00:00',
      '2026-06-08T00:00:00.000+00:00',
      '2026-06-15T00:00:00.000+00:00',
    ]);
  });

  it('day_of_week numbers 0 = Monday … 6 = Sunday, names mon…sun', () => {
    expect(fires({ fields: { day_of_week: 0, hour: 10 } }, FROM, 1)).toEqual(['2026-01-05T10:00:00.000+00:00']); // Monday
    expect(fires({ fields: { day_of_week: 6, hour: 10 } }, FROM, 1)).toEqual(['2026-01-04T10:00:00.000+00:00']); // Sunday
    expect(fires({ fields: { day_of_week: 'sun', hour: 10 } }, FROM, 1)).toEqual(['2026-01-04T10:00:00.000+00:00']);
    expect(fires({ fields: { day_of_week: 'mon-fri', hour: 10 } }, '2026-01-02T12:00:00Z', 2)).toEqual([
      '2026-01-05T10:00:00.000+00:00',
      '2026-01-06T10:00:00.000+00:00',
    ]);
    expect(fires({ fields: { day_of_week: 'mon,wed', hour: 10 } }, FROM, 3)).toEqual([
      '2026-01-05T10:00:00.000+00:00',
      '2026-01-07T10:00:00.000+00:00',
      '2026-01-12T10:00:00.000+00:00',
    ]);
  });

  it('day and day_of_week together must both match (Friday the 13th)', () => {
    expect(fires({ fields: { day: 13, day_of_week: 'fri' } }, FROM)).toEqual([
      '2026-02-13T00:00:00.000+00:00',
      '2026-03-13T00:00:00.000+00:00',
      '2026-11-13T00:00:00.000+00:00',
    ]);
  });

  it('steps, ranges and lists', () => {
    expect(fires({ fields: { minute: '*/20' } }, '2026-01-01T10:05:00Z', 4)).toEqual([
      '2026-01-01T10:20:00.000+00:00',
      '2026-01-01T10:40:00.000+00:00',
      '2026-01-01T11:00:00.000+00:00',
      '2026-01-01T11:20:00.000+00:00',
    ]);
    expect(fires({ fields: { hour: '8-17/4', minute: '0,30' } }, FROM, 4)).toEqual([
      '2026-01-01T08:00:00.000+00:00',
      '2026-01-01T08:30:00.000+00:00',
      '2026-01-01T12:00:00.000+00:00',
      '2026-01-01T12:30:00.000+00:00',
    ]);
  });

  it('day = "last", "2nd fri", "last sun"', () => {
    expect(fires({ fields: { day: 'last' } }, FROM, 2)).toEqual(['2026-01-31T00:00:00.000+00:00', '2026-02-28T00:00:00.000+00:00']);
    expect(fires({ fields: { day: '2nd fri' } }, FROM, 2)).toEqual(['2026-01-09T00:00:00.000+00:00', '2026-02-13T00:00:00.000+00:00']);
    expect(fires({ fields: { day: 'last sun', hour: 3 } }, FROM, 2)).toEqual(['2026-01-25T03:00:00.000+00:00', '2026-02-22T03:00:00.000+00:00']);
  });

  it('week is the ISO week number; year limits the years', () => {
    // ISO week 10 of 2026 runs Monday 2 March to Sunday 8 March.
    expect(fires({ fields: { week: 10, day_of_week: 'sun', hour: 9 } }, FROM, 2)).toEqual([
      '2026-03-08T09:00:00.000+00:00',
      '2027-03-14T09:00:00.000+00:00',
    ]);
    expect(fires({ fields: { year: 2030 } }, FROM, 3)).toEqual(['2030-01-01T00:00:00.000+00:00']);
  });

  it('a date that never comes gives no fire', () => {
    expect(fires({ fields: { month: 2, day: 30 } }, FROM, 3)).toEqual([]);
    expect(createSchedule({ trigger: 'cron', fields: { year: 2025 }, timezone: 'UTC' }, 0).next(Date.parse(FROM))).toBeNull();
  });

  it('fires strictly after `after`, to the millisecond', () => {
    const s = createSchedule({ trigger: 'cron', fields: { hour: 10 }, timezone: 'UTC' }, 0);
    expect(s.next(Date.parse('2026-01-01T09:59:59.999Z'))).toBe(Date.parse('2026-01-01T10:00:00Z'));
    expect(s.next(Date.parse('2026-01-01T10:00:00Z'))).toBe(Date.parse('2026-01-02T10:00:00Z'));
  });

  it('reads fields in the timezone', () => {
    expect(fires({ fields: { hour: 10, minute: 30 }, timezone: 'Asia/Kolkata' }, FROM, 1)).toEqual(['2026-01-01T10:30:00.000+05:30']);
    const s = createSchedule({ trigger: 'cron', fields: { hour: 10, minute: 30 }, timezone: 'Asia/Kolkata' }, 0);
    expect(s.next(Date.parse(FROM))).toBe(Date.parse('2026-01-01T05:00:00Z'));
  });
});

describe('cron expression form (standard cron)', () => {
  it('*/5 * * * *', () => {
    expect(fires({ cron: '*/5 * * * *' }, '2026-01-01T10:02:00Z')).toEqual([
      '2026-01-01T10:05:00.000+00:00',
      '2026-01-01T10:10:00.000+00:00',
      '2026-01-01T10:15:00.000+00:00',
    ]);
  });

  it('weekday 0 and 7 are Sunday, 1 is Monday', () => {
    expect(fires({ cron: '0 10 * * 0' }, FROM, 1)).toEqual(['2026-01-04T10:00:00.000+00:00']);
    expect(fires({ cron: '0 10 * * 7' }, FROM, 1)).toEqual(['2026-01-04T10:00:00.000+00:00']);
    expect(fires({ cron: '0 10 * * 1' }, FROM, 1)).toEqual(['2026-01-05T10:00:00.000+00:00']);
  });

  it('day-of-month OR day-of-week when both are restricted (Vixie)', () => {
    expect(fires({ cron: '0 0 13 * 5' }, FROM)).toEqual([
      '2026-01-02T00:00:00.000+00:00',
      '2026-01-09T00:00:00.000+00:00',
      '2026-01-13T00:00:00.000+00:00',
    ]);
  });

  it('6 fields put seconds first; nicknames work', () => {
    expect(fires({ cron: '*/15 * * * * *' }, '2026-01-01T10:00:07Z')).toEqual([
      '2026-01-01T10:00:15.000+00:00',
      '2026-01-01T10:00:30.000+00:00',
      '2026-01-01T10:00:45.000+00:00',
    ]);
    expect(fires({ cron: '@daily' }, '2026-01-01T10:00:00Z', 1)).toEqual(['2026-01-02T00:00:00.000+00:00']);
  });
});
