/**
 * Every job example of the original README, loaded from its fixture file, and its next fires.
 * The files set no timezone (as in the README), so the tests read them in an explicit zone; one
 * test checks the machine-zone default against the machine's own wall clock.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadJobFile } from '../../src/job/load-file.js';
import { createSchedule, describeNext } from '../../src/job/schedule.js';
import { machineTimeZone } from '../../src/job/zone.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/jobs/valid/', import.meta.url));
const FROM = Date.parse('2026-01-01T00:00:00+01:00'); // Thursday, midnight in Berlin
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mxx-readme-'));
  await cp(FIXTURES, dir, { recursive: true });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function nextFires(file: string, n = 3, anchor = FROM): Promise<string[]> {
  const def = await loadJobFile(join(dir, file));
  expect(def.schedule).toBeDefined();
  return describeNext(createSchedule({ ...def.schedule!, timezone: 'Europe/Berlin' }, anchor), FROM, n);
}

describe('original README examples', () => {
  it('daily_backup.toml: cron 10:30 daily', async () => {
    expect(await nextFires('daily_backup.toml')).toEqual([
      '2026-01-01T10:30:00.000+01:00',
      '2026-01-02T10:30:00.000+01:00',
      '2026-01-03T10:30:00.000+01:00',
    ]);
  });

  it('daily_backup_2am.toml: cron 02:00 daily', async () => {
    expect(await nextFires('daily_backup_2am.toml')).toEqual([
      '2026-01-01T02:00:00.000+01:00',
      '2026-01-02T02:00:00.000+01:00',
      '2026-01-03T02:00:00.000+01:00',
    ]);
  });

  it('cron_weekly.toml: day_of_week = 1 is Tuesday, at 10:30:00', async () => {
    expect(await nextFires('cron_weekly.toml')).toEqual([
      '2026-01-06T10:30:00.000+01:00',
      '2026-01-13T10:30:00.000+01:00',
      '2026-01-20T10:30:00.000+01:00',
    ]);
  });

  it('my_job_1.json (the API example): cron 10:30 daily', async () => {
    expect(await nextFires('my_job_1.json', 1)).toEqual(['2026-01-01T10:30:00.000+01:00']);
  });

  it.each([
    ['health_check.toml', ['2026-01-01T00:05:00.000+01:00', '2026-01-01T00:10:00.000+01:00', '2026-01-01T00:15:00.000+01:00']],
    ['test_job.yml', ['2026-01-01T00:05:00.000+01:00', '2026-01-01T00:10:00.000+01:00', '2026-01-01T00:15:00.000+01:00']],
    ['custom_job.yaml', ['2026-01-01T00:10:00.000+01:00', '2026-01-01T00:20:00.000+01:00', '2026-01-01T00:30:00.000+01:00']],
    ['interval_seconds.toml', ['2026-01-01T00:01:00.000+01:00', '2026-01-01T00:02:00.000+01:00', '2026-01-01T00:03:00.000+01:00']],
    ['interval_minutes.toml', ['2026-01-01T00:30:00.000+01:00', '2026-01-01T01:00:00.000+01:00', '2026-01-01T01:30:00.000+01:00']],
    ['interval_hours.toml', ['2026-01-01T02:00:00.000+01:00', '2026-01-01T04:00:00.000+01:00', '2026-01-01T06:00:00.000+01:00']],
  ])('%s: interval from registration', async (file, expected) => {
    expect(await nextFires(file)).toEqual(expected);
  });

  it.each(['manual_task.toml', 'generate_report.toml'])('%s: on demand', async (file) => {
    const def = await loadJobFile(join(dir, file));
    expect(def.schedule).toBeUndefined();
    expect(def.scheduleDoc).toBeNull();
  });

  it('without a timezone, cron reads the machine zone', async () => {
    const def = await loadJobFile(join(dir, 'daily_backup.toml'));
    const s = createSchedule(def.schedule!, FROM);
    expect(s.timezone).toBe(machineTimeZone());
    const next = new Date(s.next(FROM)!);
    expect([next.getHours(), next.getMinutes(), next.getSeconds()]).toEqual([10, 30, 0]);
    expect(s.next(FROM)! - FROM).toBeLessThanOrEqual(24 * 3_600_000);
  });
});
