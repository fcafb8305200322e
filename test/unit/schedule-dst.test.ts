/**
 * Daylight saving in 2026. Europe/Berlin: 29 March 02:00 CET → 03:00 CEST, 25 October 03:00 CEST
 * → 02:00 CET. America/New_York: 8 March 02:00 EST → 03:00 EDT, 1 November 02:00 EDT → 01:00 EST.
 */
import { describe, expect, it } from 'vitest';
import { createSchedule, describeNext } from '../../src/job/schedule.js';
import type { CronSchedule } from '../../src/job/types.js';

const BERLIN = 'Europe/Berlin';
const NEW_YORK = 'America/New_York';

function fires(spec: Omit<CronSchedule, 'trigger'>, from: string, n: number): string[] {
  return describeNext(createSchedule({ trigger: 'cron', ...spec }, 0), Date.parse(from), n);
}

describe('spring forward: a time in the gap fires once, at the first instant after it', () => {
  it('Berlin daily 02:30 fires at 03:00 CEST on the day, 02:30 otherwise', () => {
    expect(fires({ fields: { hour: 2, minute: 30 }, timezone: BERLIN }, '2026-03-28T12:00:00+01:00', 3)).toEqual([
      '2026-03-29T03:00:00.000+02:00',
      '2026-03-30T02:30:00.000+02:00',
      '2026-03-31T02:30:00.000+02:00',
    ]);
  });

  it('New York daily 02:30 fires at 03:00 EDT on the day', () => {
    expect(fires({ fields: { hour: 2, minute: 30 }, timezone: NEW_YORK }, '2026-03-07T12:00:00-05:00', 2)).toEqual([
      '2026-03-08T03:00:00.000-04:00',
      '2026-03-09T02:30:00.000-04:00',
    ]);
  });

  it('the expression form follows the same rule', () => {
    expect(fires({ cron: '30 2 * * *', timezone: BERLIN }, '2026-03-28T12:00:00+01:00', 1)).toEqual(['2026-03-29T03:00:00.000+02:00']);
  });

  it('a list or a range keeps its gap fire (croner alone would drop it)', () => {
    expect(fires({ fields: { hour: '2,14', minute: 30 }, timezone: BERLIN }, '2026-03-29T00:00:00+01:00', 3)).toEqual([
      '2026-03-29T03:00:00.000+02:00',
      '2026-03-29T14:30:00.000+02:00',
      '2026-03-30T02:30:00.000+02:00',
    ]);
  });

  it('several times in the gap collapse into one fire', () => {
    expect(fires({ fields: { hour: 2, minute: '*/15' }, timezone: BERLIN }, '2026-03-29T00:00:00+01:00', 3)).toEqual([
      '2026-03-29T03:00:00.000+02:00',
      '2026-03-30T02:00:00.000+02:00',
      '2026-03-30T02:15:00.000+02:00',
    ]);
  });

  it('hourly keeps an hour between fires (Berlin :00, New York :00)', () => {
    expect(fires({ fields: { minute: 0 }, timezone: BERLIN }, '2026-03-29T00:30:00+01:00', 3)).toEqual([
      '2026-03-29T01:00:00.000+01:00',
      '2026-03-29T03:00:00.000+02:00',
      '2026-03-29T04:00:00.000+02:00',
    ]);
    expect(fires({ cron: '0 * * * *', timezone: NEW_YORK }, '2026-03-08T00:30:00-05:00', 3)).toEqual([
      '2026-03-08T01:00:00.000-05:00',
      '2026-03-08T03:00:00.000-04:00',
      '2026-03-08T04:00:00.000-04:00',
    ]);
  });

  it('hourly at :30 fires once at the gap end for 02:30', () => {
    expect(fires({ fields: { minute: 30 }, timezone: BERLIN }, '2026-03-29T01:00:00+01:00', 3)).toEqual([
      '2026-03-29T01:30:00.000+01:00',
      '2026-03-29T03:00:00.000+02:00',
      '2026-03-29T03:30:00.000+02:00',
    ]);
  });

  it('every minute runs straight through: 01:59 CET, then 03:00 CEST', () => {
    expect(fires({ cron: '* * * * *', timezone: BERLIN }, '2026-03-29T01:58:30+01:00', 3)).toEqual([
      '2026-03-29T01:59:00.000+01:00',
      '2026-03-29T03:00:00.000+02:00',
      '2026-03-29T03:01:00.000+02:00',
    ]);
  });
});

describe('fall back: a time that occurs twice fires once', () => {
  it('Berlin daily 02:30 fires once, at the first 02:30 (CEST)', () => {
    expect(fires({ fields: { hour: 2, minute: 30 }, timezone: BERLIN }, '2026-10-24T12:00:00+02:00', 3)).toEqual([
      '2026-10-25T02:30:00.000+02:00',
      '2026-10-26T02:30:00.000+01:00',
      '2026-10-27T02:30:00.000+01:00',
    ]);
  });

  it('New York daily 01:30 fires once, at the first 01:30 (EDT)', () => {
    expect(fires({ fields: { hour: 1, minute: 30 }, timezone: NEW_YORK }, '2026-10-31T12:00:00-04:00', 2)).toEqual([
      '2026-11-01T01:30:00.000-04:00',
      '2026-11-02T01:30:00.000-05:00',
    ]);
  });

  it('asked from inside the repeated hour, the job that already fired does not fire again', () => {
    const s = createSchedule({ trigger: 'cron', fields: { hour: 2, minute: 45 }, timezone: BERLIN }, 0);
    expect(describeNext(s, Date.parse('2026-10-25T02:30:00+01:00'), 1)).toEqual(['2026-10-26T02:45:00.000+01:00']);
    expect(describeNext(s, Date.parse('2026-10-25T02:50:00+02:00'), 1)).toEqual(['2026-10-26T02:45:00.000+01:00']);
  });

  it('a fixed time after the repeated hour is unaffected (03:00 Berlin)', () => {
    expect(fires({ fields: { hour: 3 }, timezone: BERLIN }, '2026-10-25T01:00:00+02:00', 2)).toEqual([
      '2026-10-25T03:00:00.000+01:00',
      '2026-10-26T03:00:00.000+01:00',
    ]);
  });

  it('hourly fires each local hour once: the repeated 02:00 does not fire again', () => {
    expect(fires({ fields: { minute: 0 }, timezone: BERLIN }, '2026-10-25T00:30:00+02:00', 4)).toEqual([
      '2026-10-25T01:00:00.000+02:00',
      '2026-10-25T02:00:00.000+02:00',
      '2026-10-25T03:00:00.000+01:00',
      '2026-10-25T04:00:00.000+01:00',
    ]);
    expect(fires({ cron: '0 * * * *', timezone: NEW_YORK }, '2026-10-31T23:30:00-04:00', 3)).toEqual([
      '2026-11-01T00:00:00.000-04:00',
      '2026-11-01T01:00:00.000-04:00',
      '2026-11-01T02:00:00.000-05:00',
    ]);
  });

  it('every 30 minutes: each local half hour once, the repeated ones skipped', () => {
    expect(fires({ cron: '*/30 * * * *', timezone: NEW_YORK }, '2026-11-01T00:45:00-04:00', 4)).toEqual([
      '2026-11-01T01:00:00.000-04:00',
      '2026-11-01T01:30:00.000-04:00',
      '2026-11-01T02:00:00.000-05:00',
      '2026-11-01T02:30:00.000-05:00',
    ]);
  });

  it('every minute never repeats a local time and never stalls', () => {
    const s = createSchedule({ trigger: 'cron', cron: '* * * * *', timezone: BERLIN }, 0);
    const from = Date.parse('2026-10-25T01:30:00+02:00');
    const all = s.nextN(from, 180);
    const local = all.map((t) => new Date(t).toLocaleString('en-GB', { timeZone: BERLIN }));
    expect(new Set(local).size).toBe(180);
    // 02:00-02:59 CEST fire; the same readings in CET (one real hour) are skipped.
    expect(all.slice(1).map((t, i) => t - all[i]!).filter((d) => d !== 60_000)).toEqual([3_660_000]);
  });
});

/**
 * Pacific/Apia moved across the date line: 29 December 2011 23:59:59 −10:00 was followed by
 * 31 December 00:00 +14:00, so 30 December never happened there. The gap rule is for clock
 * changes of an hour or two; a day that does not exist has no fires (APScheduler, cron-parser).
 */
describe('a skipped calendar day has no fires', () => {
  const APIA = 'Pacific/Apia';

  it('a noon job goes from the 29th to the 31st at noon, not to 00:00 on the 31st', () => {
    expect(fires({ fields: { hour: 12 }, timezone: APIA }, '2011-12-28T12:00:00-10:00', 3)).toEqual([
      '2011-12-29T12:00:00.000-10:00',
      '2011-12-31T12:00:00.000+14:00',
      '2012-01-01T12:00:00.000+14:00',
    ]);
    expect(fires({ cron: '30 8 * * *', timezone: APIA }, '2011-12-29T09:00:00-10:00', 1)).toEqual(['2011-12-31T08:30:00.000+14:00']);
  });

  it('hourly runs through to 23:00 on the 29th, then 00:00 on the 31st once', () => {
    expect(fires({ fields: { minute: 0 }, timezone: APIA }, '2011-12-29T21:30:00-10:00', 4)).toEqual([
      '2011-12-29T22:00:00.000-10:00',
      '2011-12-29T23:00:00.000-10:00',
      '2011-12-31T00:00:00.000+14:00',
      '2011-12-31T01:00:00.000+14:00',
    ]);
  });

  it('a job only on the 30th skips to the next month that has one', () => {
    expect(fires({ fields: { day: 30, hour: 12 }, timezone: APIA }, '2011-12-01T00:00:00-10:00', 2)).toEqual([
      '2012-01-30T12:00:00.000+14:00',
      '2012-03-30T12:00:00.000+14:00',
    ]);
  });
});
