/**
 * The bookkeeping that keeps one fire to one run (found by the soak): where a replaced job's timer
 * is armed from, and which fire a restart's catch-up counts from.
 */
import { describe, expect, it } from 'vitest';
import type { History } from '../../src/history/index.js';
import { createSchedule } from '../../src/job/schedule.js';
import { silentLogger } from '../../src/logger.js';
import { toIsoLocal, type RunRecord } from '../../src/records.js';
import { catchUpMisfires } from '../../src/supervisor/catch-up.js';
import { armAfterReplacing } from '../../src/supervisor/replace-arm.js';
import type { Job } from '../../src/supervisor/types.js';

describe('armAfterReplacing', () => {
  it('a new job is armed from its registration instant', () => {
    expect(armAfterReplacing(undefined, 1000)).toBe(1000);
  });
  it('never before an instant the replaced definition already fired (it fired while the entry was saved)', () => {
    expect(armAfterReplacing({ nextFire: null, lastFired: 1500 }, 1000)).toBe(1500);
  });
  it('no later than a fire the replaced definition had due and not yet fired', () => {
    expect(armAfterReplacing({ nextFire: 900, lastFired: 400 }, 1000)).toBe(899);
  });
  it('a fire still ahead of the replaced definition is re-planned from the registration instant', () => {
    expect(armAfterReplacing({ nextFire: 5000, lastFired: 400 }, 1000)).toBe(1000);
  });
});

describe('catch-up after a restart', () => {
  const t0 = Date.parse('2026-06-01T10:00:00Z');
  const schedule = createSchedule({ trigger: 'interval', interval_ms: 5000 } as never, t0);
  const job = {
    id: 'j',
    schedule,
    entry: { registered_at: toIsoLocal(t0) },
    def: { policy: { misfire_grace_time: 60 } },
  } as unknown as Job;
  const record = (scheduledAt: number, status: RunRecord['status']): RunRecord => ({
    run_id: `r${scheduledAt}`,
    job_id: 'j',
    trigger: 'schedule',
    scheduled_at: toIsoLocal(scheduledAt),
    started_at: null,
    ended_at: null,
    status,
    exit_code: null,
    signal: null,
    pid: null,
    duration_ms: null,
    error: null,
    attempt: 0,
  });

  it('counts from the newest fire instant on record, not the newest record', () => {
    // The run of the 10:00:05 fire ended (and was recorded) after the 10:00:10 fire was skipped.
    const runs = [record(t0 + 5_000, 'completed'), record(t0 + 10_000, 'skipped')];
    const history = { list: () => runs } as unknown as History;
    const out = catchUpMisfires(job, history, t0 + 12_000, silentLogger);
    // Nothing is due after 10:00:10 by 10:00:12: no run, no missed record for 10:00:10 again.
    expect(out).toEqual([]);
  });
});
