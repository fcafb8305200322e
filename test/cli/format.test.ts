import { describe, expect, it } from 'vitest';
import { inCliWords } from '../../cli/api-words.js';
import { hoistGlobalOptions } from '../../cli/argv.js';
import { createColors, colorStatus, stripAnsi } from '../../cli/format/color.js';
import { describeSchedule } from '../../cli/format/schedule.js';
import { renderTable } from '../../cli/format/table.js';
import { formatAbsolute, formatDuration, formatRelative, formatWhen } from '../../cli/format/time.js';

describe('describeSchedule', () => {
  it.each([
    [null, 'on demand'],
    [{ trigger: 'cron', hour: 10, minute: 30 }, 'daily at 10:30'],
    [{ trigger: 'cron', hour: 2 }, 'daily at 02:00'],
    [{ trigger: 'cron', hour: 2, minute: 0, day_of_week: 0 }, 'at 02:00 on Mon'],
    [{ trigger: 'cron', hour: 9, day_of_week: 'mon-fri' }, 'at 09:00 on Mon-Fri'],
    [{ trigger: 'cron', minute: '*/5' }, 'every 5 minutes'],
    [{ trigger: 'cron', minute: 15 }, 'hourly at :15'],
    [{ trigger: 'cron', day: 1, hour: 3 }, 'monthly on day 1 at 03:00'],
    [{ trigger: 'cron', hour: '*/2', minute: 15 }, 'cron hour=*/2 minute=15'],
    [{ trigger: 'cron', cron: '*/5 * * * *' }, 'cron */5 * * * *'],
    [{ trigger: 'cron', cron: '0 3 * * *', timezone: 'Europe/Berlin' }, 'cron 0 3 * * * (Europe/Berlin)'],
    [{ trigger: 'interval', minutes: 5 }, 'every 5 minutes'],
    [{ trigger: 'interval', hours: 2 }, 'every 2 hours'],
    [{ trigger: 'interval', seconds: 60 }, 'every minute'],
    [{ trigger: 'interval', interval_seconds: 90 }, 'every 90 seconds'],
    [{ trigger: 'interval', hours: 1, minutes: 30, seconds: 30 }, 'every 1h 30m 30s'],
    [{ trigger: 'interval', seconds: 0.5 }, 'every 0.5s'],
    [{ trigger: 'interval', days: 1 }, 'every day'],
  ])('%j → %s', (schedule, words) => {
    expect(describeSchedule(schedule)).toBe(words);
  });

  it('describes a date trigger with the local time', () => {
    const local = new Date(2026, 11, 1, 10, 0).toISOString();
    expect(describeSchedule({ trigger: 'date', run_date: local })).toBe('once at 2026-12-01 10:00');
  });
});

describe('times', () => {
  const now = Date.UTC(2026, 10, 26, 12, 0, 0);
  it('formats relative times in at most two units', () => {
    expect(formatRelative(now + (3 * 60 + 12) * 60_000, now)).toBe('in 3h 12m');
    expect(formatRelative(now - 65_000, now)).toBe('1m 05s ago');
    expect(formatRelative(now + 500, now)).toBe('now');
    expect(formatRelative(now + 3 * 86_400_000, now)).toBe('in 3d 0h');
  });
  it('combines relative and absolute', () => {
    const at = new Date(2026, 10, 26, 22, 30).getTime();
    expect(formatWhen(new Date(at).toISOString(), at - (3 * 60 + 12) * 60_000)).toBe('in 3h 12m (2026-11-26 22:30)');
    expect(formatWhen(null)).toBe('-');
    expect(formatAbsolute(new Date(2026, 0, 2, 3, 4, 5), true)).toBe('2026-01-02 03:04:05');
  });
  it('formats durations', () => {
    expect(formatDuration(350)).toBe('350ms');
    expect(formatDuration(1234)).toBe('1.2s');
    expect(formatDuration(185_000)).toBe('3m 05s');
    expect(formatDuration(null)).toBe('-');
  });
});

describe('tables and colours', () => {
  it('aligns columns ignoring colour codes', () => {
    const c = createColors(true);
    const out = stripAnsi(renderTable(['JOB', { header: 'RUNS', right: true }], [[c.bold('a'), '1'], ['long-name', '120']], c));
    expect(out).toBe('JOB        RUNS\na             1\nlong-name   120\n');
  });
  it('colours statuses only when enabled', () => {
    expect(colorStatus(createColors(false), 'failed')).toBe('failed');
    expect(colorStatus(createColors(true), 'failed')).toBe('\u001b[31mfailed\u001b[39m');
    expect(colorStatus(createColors(true), 'completed')).toContain('\u001b[32m');
    expect(colorStatus(createColors(true), 'skipped')).toContain('\u001b[33m');
    expect(colorStatus(createColors(true), 'running')).toContain('\u001b[36m');
  });
});

describe('hoistGlobalOptions', () => {
  it('moves leading global options after the command name', () => {
    expect(hoistGlobalOptions(['--server', 'http://x:1', 'health'])).toEqual(['health', '--server', 'http://x:1']);
    expect(hoistGlobalOptions(['--server=http://x:1', '--json', 'status', 'a'])).toEqual(['status', '--server=http://x:1', '--json', 'a']);
    expect(hoistGlobalOptions(['list', '--type', 'active'])).toEqual(['list', '--type', 'active']);
    expect(hoistGlobalOptions(['--server', 'http://x:1'])).toEqual(['--server', 'http://x:1']);
    expect(hoistGlobalOptions(['--help'])).toEqual(['--help']);
  });
});

describe('inCliWords: server hints in the CLI flags that do the same', () => {
  it.each([
    ['send "replace_existing": true to replace its definition', 'pass --replace to replace its definition'],
    ['retry later, or read the log without follow=true', 'retry later, or read the log without --follow'],
    ['cancel with terminate=true to stop the run too', 'cancel with --terminate to stop the run too'],
    ['query parameter limit must be a whole number from 1 to 10000', '--limit must be a whole number from 1 to 10000'],
    ['query parameter n must be a whole number from 1 to 1000', '-n must be a whole number from 1 to 1000'],
    ['stop the running run first (mxx stop x) or change policy.overlap', 'stop the running run first (mxx stop x) or change policy.overlap'],
  ])('%s', (api, cli) => {
    expect(inCliWords(api)).toBe(cli);
  });
});
