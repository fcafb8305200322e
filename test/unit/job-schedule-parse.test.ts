import { describe, expect, it } from 'vitest';
import { parseJobDocument } from '../../src/job/parse.js';
import type { ScheduleSpec, ValidationIssue } from '../../src/job/types.js';
import { expectMxxError } from '../_server.js';

const source = 'daily.toml';

function spec(schedule: Record<string, unknown>): ScheduleSpec | undefined {
  return parseJobDocument({ os: { cmd: 'x' }, schedule }, { id: 'daily', source }).schedule;
}

function issues(schedule: unknown): ValidationIssue[] {
  return expectMxxError(() => parseJobDocument({ os: { cmd: 'x' }, schedule }, { id: 'daily', source }), 'INVALID_JOB').details as ValidationIssue[];
}

describe('schedule: trigger', () => {
  it('infers the trigger when the keys say it', () => {
    expect(spec({ cron: '*/5 * * * *' })).toEqual({ trigger: 'cron', cron: '*/5 * * * *' });
    expect(spec({ hour: 2 })).toEqual({ trigger: 'cron', fields: { hour: 2 } });
    expect(spec({ minutes: 5 })).toEqual({ trigger: 'interval', interval_ms: 300_000 });
    expect(spec({ run_date: '2026-06-01T12:00:00Z' })).toEqual({ trigger: 'date', run_date: '2026-06-01T12:00:00Z' });
  });

  it('refuses keys of two triggers without an explicit trigger', () => {
    expect(issues({ minute: 5, minutes: 5 })).toEqual([
      { path: 'schedule', message: 'mixes keys of trigger "cron" (minute) and trigger "interval" (minutes): set trigger to say which' },
    ]);
  });

  it('refuses an empty schedule (a typo must not make an on-demand job)', () => {
    expect(issues({})).toEqual([
      { path: 'schedule', message: 'has no trigger: set trigger = "cron", "interval" or "date" with its keys, or remove the section for an on-demand job' },
    ]);
  });

  it('suggests a misspelt trigger', () => {
    expect(issues({ trigger: 'crom', hour: 1 })).toEqual([
      { path: 'schedule.trigger', message: 'must be one of cron, interval, date, got "crom" (did you mean "cron"?)' },
    ]);
  });

  it('names the minuet typo and suggests minute, and nothing else', () => {
    expect(issues({ trigger: 'cron', minuet: 30 })).toEqual([{ path: 'schedule.minuet', message: 'is not a known key (did you mean "minute"?)' }]);
    expect(issues({ minuet: 30 })).toEqual([{ path: 'schedule.minuet', message: 'is not a known key (did you mean "minute"?)' }]);
  });

  it('flags a key of another trigger, suggesting the right one', () => {
    expect(issues({ trigger: 'cron', minutes: 30 })).toEqual([
      { path: 'schedule.minutes', message: 'is not a key of trigger "cron" (did you mean "minute"?)' },
    ]);
    expect(issues({ trigger: 'date', run_date: '2026-01-01', hour: 1 })).toEqual([
      { path: 'schedule.hour', message: 'is not a key of trigger "date" (it belongs to trigger "cron")' },
    ]);
  });

  it('requires something to fire on', () => {
    expect(issues({ trigger: 'cron' })[0]!.message).toMatch(/^has trigger "cron" but no cron field/);
    expect(issues({ trigger: 'interval' })[0]!.message).toBe('has trigger "interval" but no weeks, days, hours, minutes, seconds, interval_seconds');
    expect(issues({ trigger: 'date' })).toEqual([
      { path: 'schedule.run_date', message: 'is required for trigger "date" (an ISO 8601 date such as "2026-03-01T10:00:00" or "2026-03-01T10:00:00+01:00")' },
    ]);
  });
});

describe('schedule: cron fields', () => {
  it('keeps values as given', () => {
    // Monday 31 March 2031, ISO week 14: the one day all of them match (none would be refused).
    expect(spec({ trigger: 'cron', day_of_week: 'mon-fri', hour: '*/2', minute: 0, second: '5,35', day: 'last', week: 14, month: 'mar', year: 2031 })).toEqual({
      trigger: 'cron',
      fields: { day_of_week: 'mon-fri', hour: '*/2', minute: 0, second: '5,35', day: 'last', week: 14, month: 'mar', year: 2031 },
    });
  });

  it.each([
    ['hour', 25, 'must be 0-23 or a cron field ("*", "*/5", "1-5", "1,3"), got 25 (out of range 0-23)'],
    ['minute', 60, 'must be 0-59 or a cron field ("*", "*/5", "1-5", "1,3"), got 60 (out of range 0-59)'],
    ['minute', 1.5, 'must be 0-59 or a cron field ("*", "*/5", "1-5", "1,3"), got 1.5 (not a whole number)'],
    ['second', '*/0', 'must be 0-59 or a cron field ("*", "*/5", "1-5", "1,3"), got "*/0" (a step must be 1 or more)'],
    ['hour', '5-1', 'must be 0-23 or a cron field ("*", "*/5", "1-5", "1,3"), got "5-1" (range 5-1 runs backwards)'],
    ['hour', '1,,2', 'must be 0-23 or a cron field ("*", "*/5", "1-5", "1,3"), got "1,,2" (empty list item)'],
    ['day_of_week', 7, 'must be 0-6 (0 = Monday) or mon-sun or a cron field ("*", "*/5", "1-5", "1,3"), got 7 (out of range 0-6)'],
    ['day_of_week', 'mun', 'must be 0-6 (0 = Monday) or mon-sun or a cron field ("*", "*/5", "1-5", "1,3"), got "mun" (unknown name "mun")'],
    ['month', '13', 'must be 1-12 or jan-dec or a cron field ("*", "*/5", "1-5", "1,3"), got "13" (13 is out of range 1-12)'],
    ['day', 0, 'must be 1-31, "last", or "1st mon" … "5th sun", "last fri" or a cron field ("*", "*/5", "1-5", "1,3"), got 0 (out of range 1-31)'],
    ['week', 54, 'must be an ISO week 1-53 or a cron field ("*", "*/5", "1-5", "1,3"), got 54 (out of range 1-53)'],
    ['year', 1969, 'must be a year (1970-9999) or a cron field ("*", "*/5", "1-5", "1,3"), got 1969 (out of range 1970-9999)'],
    ['hour', 'x', 'must be 0-23 or a cron field ("*", "*/5", "1-5", "1,3"), got "x" ("x" is not a number)'],
    ['hour', true, 'must be a number or a cron field string such as "*/5", got true'],
  ])('rejects %s = %j at load time', (field, value, message) => {
    expect(issues({ trigger: 'cron', [field]: value })).toEqual([{ path: `schedule.${field}`, message }]);
  });

  it('reads the expression form and checks it with croner', () => {
    expect(spec({ cron: '0 */5 * * * *' })).toEqual({ trigger: 'cron', cron: '0 */5 * * * *' });
    expect(spec({ cron: '@daily' })).toEqual({ trigger: 'cron', cron: '@daily' });
    expect(issues({ cron: '* * * *' })).toEqual([
      { path: 'schedule.cron', message: 'must have 5 fields (minute hour day month weekday) or 6 (seconds first), got 4 in "* * * *"' },
    ]);
    expect(issues({ cron: '61 * * * *' })[0]!.message).toMatch(/^is not a valid cron expression, got "61 \* \* \* \*" \(/);
    expect(issues({ cron: '@reboot' })[0]!.message).toMatch(/^must be 5 or 6 fields or one of @yearly/);
  });

  it('refuses both forms at once', () => {
    expect(issues({ cron: '* * * * *', hour: 1 })).toEqual([
      { path: 'schedule.cron', message: 'cannot be combined with hour: use either the expression or the fields' },
    ]);
  });
});

describe('schedule: common keys', () => {
  it('validates the timezone with Intl', () => {
    expect(spec({ hour: 1, timezone: 'America/New_York' })).toMatchObject({ timezone: 'America/New_York' });
    expect(issues({ hour: 1, timezone: 'Europe/Berlni' })).toEqual([
      { path: 'schedule.timezone', message: 'must be an IANA time zone name such as "Europe/Berlin", got "Europe/Berlni"' },
    ]);
  });

  it('validates start_date, end_date and jitter', () => {
    expect(spec({ hour: 1, start_date: '2026-01-01', end_date: '2026-02-01T00:00:00+01:00', jitter: 2.5 })).toEqual({
      trigger: 'cron',
      fields: { hour: 1 },
      start_date: '2026-01-01',
      end_date: '2026-02-01T00:00:00+01:00',
      jitter: 2.5,
    });
    expect(issues({ hour: 1, start_date: '2026-13-01', end_date: 'tomorrow', jitter: -1 }).map((i) => i.path)).toEqual([
      'schedule.start_date',
      'schedule.end_date',
      'schedule.jitter',
    ]);
    expect(issues({ hour: 1, start_date: '2026-02-30' })[0]!.message).toMatch(/^must be an ISO 8601 date/);
    expect(issues({ hour: 1, start_date: '2026-02-01', end_date: '2026-01-01' })).toEqual([
      { path: 'schedule.end_date', message: 'must be after start_date (2026-02-01), got "2026-01-01"' },
    ]);
  });
});

describe('schedule: interval and date', () => {
  it('sums the units (fractions allowed) into interval_ms', () => {
    expect(spec({ weeks: 1, days: 1, hours: 1, minutes: 1, seconds: 1.5 })).toEqual({
      trigger: 'interval',
      interval_ms: (604_800 + 86_400 + 3_600 + 60 + 1.5) * 1000,
    });
    expect(spec({ trigger: 'interval', interval_seconds: 90 })).toEqual({ trigger: 'interval', interval_ms: 90_000 });
    expect(spec({ trigger: 'interval', minutes: 0.5 })).toEqual({ trigger: 'interval', interval_ms: 30_000 });
  });

  it('refuses an interval that is not positive', () => {
    expect(issues({ trigger: 'interval', minutes: 0 })).toEqual([
      { path: 'schedule', message: 'has an interval of 0 seconds: minutes must add up to at least 1 ms' },
    ]);
    expect(issues({ trigger: 'interval', minutes: -5 })).toEqual([{ path: 'schedule.minutes', message: 'must be a number of 0 or more, got -5' }]);
    expect(issues({ trigger: 'interval', seconds: '60' })).toEqual([{ path: 'schedule.seconds', message: 'must be a number of 0 or more, got "60"' }]);
  });

  it('checks run_date', () => {
    expect(issues({ trigger: 'date', run_date: 'next monday' })).toEqual([
      { path: 'schedule.run_date', message: 'must be an ISO 8601 date such as "2026-03-01T10:00:00" or "2026-03-01T10:00:00+01:00", got "next monday"' },
    ]);
  });
});
