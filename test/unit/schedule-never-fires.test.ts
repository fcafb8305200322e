/**
 * Schedules that validate but can never run (issue #10 item 11): steps that leave one value,
 * patterns no date matches, windows with no fire, and — when the caller passes `now` (the API) —
 * dates already past. Job files and registry restore pass no `now`: a date job that already ran
 * stays a valid file.
 */
import { describe, expect, it } from 'vitest';
import { parseJobDocument, parseJobRequest } from '../../src/job/parse.js';
import { createSchedule } from '../../src/job/schedule.js';
import type { ValidationIssue } from '../../src/job/types.js';
import { expectMxxError } from '../_server.js';

const NOW = Date.parse('2026-06-15T12:00:00Z');

function parse(schedule: Record<string, unknown>, extra: Record<string, unknown> = {}, now?: number) {
  return parseJobDocument({ os: { cmd: 'x' }, schedule, ...extra }, { id: 'daily', source: 'daily.toml', ...(now === undefined ? {} : { now }) });
}

function issues(schedule: Record<string, unknown>, extra: Record<string, unknown> = {}, now?: number): ValidationIssue[] {
  return expectMxxError(() => parse(schedule, extra, now), 'INVALID_JOB').details as ValidationIssue[];
}

describe('cron field steps', () => {
  const expected = '1-31, "last", or "1st mon" … "5th sun", "last fri" or a cron field ("*", "*/5", "1-5", "1,3")';
  it.each([
    ['day', '*/31', `must be ${expected}, got "*/31" (the step 31 is larger than 1-31 spans (30), so it leaves only 1)`],
    ['day', '4-6/3', `must be ${expected}, got "4-6/3" (the step 3 is larger than 4-6 spans (2), so it leaves only 4)`],
    ['hour', '*/24', 'must be 0-23 or a cron field ("*", "*/5", "1-5", "1,3"), got "*/24" (the step 24 is larger than 0-23 spans (23), so it leaves only 0)'],
    ['minute', '50/10', 'must be 0-59 or a cron field ("*", "*/5", "1-5", "1,3"), got "50/10" (the step 10 is larger than 50-59 spans (9), so it leaves only 50)'],
    ['hour', '3-3/1', 'must be 0-23 or a cron field ("*", "*/5", "1-5", "1,3"), got "3-3/1" (the step 1 is larger than 3-3 spans (0), so it leaves only 3)'],
  ])('refuses %s = %j (APScheduler does)', (field, value, message) => {
    expect(issues({ trigger: 'cron', [field]: value })).toEqual([{ path: `schedule.${field}`, message }]);
  });

  it.each([
    ['day', '*/30'],
    ['day', '4-6/2'],
    ['hour', '*/23'],
    ['minute', '50/9'],
    ['month', '*/11'],
  ])('accepts %s = %j (two values or more)', (field, value) => {
    expect(parse({ trigger: 'cron', [field]: value }).schedule).toEqual({ trigger: 'cron', fields: { [field]: value } });
  });
});

describe('a schedule that can never fire is refused (always)', () => {
  it('an expression no date matches', () => {
    expect(issues({ cron: '0 0 31 4 *' })).toEqual([{ path: 'schedule.cron', message: 'never fires: no date matches "0 0 31 4 *"' }]);
    expect(issues({ cron: '0 0 30 2 *' })).toEqual([{ path: 'schedule.cron', message: 'never fires: no date matches "0 0 30 2 *"' }]);
    // Vixie OR: day 31 or any Monday of April.
    expect(parse({ cron: '0 0 31 4 1' }).schedule).toEqual({ trigger: 'cron', cron: '0 0 31 4 1' });
  });

  it('fields no date matches', () => {
    expect(issues({ month: 4, day: 31 })).toEqual([{ path: 'schedule', message: 'never fires: no date matches month = 4, day = 31' }]);
    expect(issues({ month: 'feb', day: '30-31', hour: 3 })).toEqual([
      { path: 'schedule', message: 'never fires: no date matches month = "feb", day = "30-31", hour = 3' },
    ]);
    expect(parse({ month: 2, day: 29 }).schedule).toMatchObject({ trigger: 'cron' }); // leap years
  });

  it('a window with no fire in it', () => {
    expect(issues({ cron: '0 0 1 * *', timezone: 'UTC', start_date: '2026-04-02', end_date: '2026-04-30' })).toEqual([
      { path: 'schedule.cron', message: 'never fires: no date between start_date (2026-04-02) and end_date (2026-04-30) matches "0 0 1 * *"' },
    ]);
    expect(issues({ year: 2020, start_date: '2021-01-01' })).toEqual([
      { path: 'schedule', message: 'never fires: no date from start_date (2021-01-01) on matches year = 2020' },
    ]);
  });

  it('an end_date at or before start_date', () => {
    expect(issues({ minutes: 5, start_date: '2026-02-01', end_date: '2026-02-01' })).toEqual([
      { path: 'schedule.end_date', message: 'must be after start_date (2026-02-01), got "2026-02-01"' },
    ]);
  });

  it('a run_date outside start_date … end_date', () => {
    expect(issues({ run_date: '2026-01-01T00:00:00Z', start_date: '2026-02-01T00:00:00Z' })).toEqual([
      { path: 'schedule.run_date', message: 'is before start_date (2026-02-01T00:00:00Z), so the job would never run' },
    ]);
    expect(issues({ run_date: '2026-03-01T00:00:00Z', end_date: '2026-02-01T00:00:00Z' })).toEqual([
      { path: 'schedule.run_date', message: 'is after end_date (2026-02-01T00:00:00Z), so the job would never run' },
    ]);
  });
});

describe('without now (job files, registry restore) the past is not an error', () => {
  it('keeps a past run_date, a past end_date and a past year valid', () => {
    expect(parse({ run_date: '2020-01-01T00:00:00Z' }).schedule).toEqual({ trigger: 'date', run_date: '2020-01-01T00:00:00Z' });
    expect(parse({ minutes: 5, end_date: '2020-01-01T00:00:00Z' }).schedule).toMatchObject({ trigger: 'interval' });
    expect(parse({ year: 2020 }).schedule).toMatchObject({ trigger: 'cron' });
  });
});

describe('with now (the API) a schedule whose fires have all passed is refused', () => {
  it('a run_date in the past by more than misfire_grace_time', () => {
    expect(issues({ run_date: '2026-06-15T11:58:59Z' }, {}, NOW)).toEqual([
      {
        path: 'schedule.run_date',
        message: 'is in the past (2026-06-15T11:58:59Z), more than policy.misfire_grace_time (60 s) ago, so the job would never run',
      },
    ]);
    expect(issues({ run_date: '2026-06-15T11:00:00Z' }, { policy: { misfire_grace_time: 3599 } }, NOW)[0]!.message).toMatch(
      /^is in the past \(2026-06-15T11:00:00Z\), more than policy.misfire_grace_time \(3599 s\) ago/,
    );
  });

  it('accepts a past run_date within misfire_grace_time (it runs once), and a future one', () => {
    expect(parse({ run_date: '2026-06-15T11:59:30Z' }, {}, NOW).schedule).toEqual({ trigger: 'date', run_date: '2026-06-15T11:59:30Z' });
    expect(parse({ run_date: '2026-06-15T11:00:00Z' }, { policy: { misfire_grace_time: 3600 } }, NOW).schedule).toMatchObject({ trigger: 'date' });
    expect(parse({ run_date: '2026-06-16T00:00:00Z' }, {}, NOW).schedule).toMatchObject({ trigger: 'date' });
  });

  it('schedule.next stays pure: a past run_date within the grace has no next fire (the supervisor runs it once)', () => {
    const spec = parse({ run_date: '2026-06-15T11:59:30Z' }, {}, NOW).schedule!;
    expect(createSchedule(spec, NOW).next(NOW)).toBeNull();
  });

  it('an end_date in the past', () => {
    expect(issues({ minutes: 5, end_date: '2026-06-15T11:00:00Z' }, {}, NOW)).toEqual([
      { path: 'schedule.end_date', message: 'is in the past (2026-06-15T11:00:00Z), so the job would never fire' },
    ]);
    expect(issues({ hour: 3, timezone: 'UTC', end_date: '2026-06-15T11:00:00Z' }, {}, NOW)[0]!.path).toBe('schedule.end_date');
  });

  it('a cron whose dates have all passed', () => {
    expect(issues({ year: 2020 }, {}, NOW)).toEqual([{ path: 'schedule', message: 'never fires after now: every date matching year = 2020 has passed' }]);
    expect(issues({ cron: '0 3 * * *', timezone: 'UTC', end_date: '2026-06-15T23:00:00Z' }, {}, NOW)).toEqual([
      { path: 'schedule.cron', message: 'never fires after now: no date before end_date (2026-06-15T23:00:00Z) matches "0 3 * * *"' },
    ]);
  });

  it('the API request parser passes the current time itself', () => {
    const body = { job_id: 'once', config: { os: { cmd: 'x' } }, schedule: { trigger: 'date', run_date: '2020-01-01T00:00:00Z' } };
    const error = expectMxxError(() => parseJobRequest(body), 'INVALID_JOB');
    expect(error.message).toMatch(/^request: schedule\.run_date is in the past \(2020-01-01T00:00:00Z\)/);
    expect(parseJobRequest({ ...body, schedule: { run_date: '2020-01-01T00:00:00Z' } }, { now: Date.parse('2020-01-01T00:00:30Z') }).definition.schedule).toMatchObject({
      trigger: 'date',
    });
  });
});
