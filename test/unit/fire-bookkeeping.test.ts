/**
 * The bookkeeping that keeps one fire to one run (found by the soak): where a replaced job's timer
 * is armed from, and which fire a restart's catch-up counts from.
 */
import { describe, expect, it } from 'vitest';
import type { History } from '../../src/history/index.js';
import { createSchedule } from '../../src/job/schedule.js';
import { silentLogger } from '../../src/logger.js';
import { toIsoLocal, type RunRecord } from '../../src/records.js';
import { catchUpMisfires, type CatchUp } from '../../src/supervisor/catch-up.js';
import { newRecord } from '../../src/supervisor/run-record.js';
import { armAfterReplacing } from '../../src/supervisor/replace-arm.js';
import type { Job } from '../../src/supervisor/types.js';
import { captureLogger, createFakeHistory, soloJob } from '../_fakes.js';

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

describe('catchUpMisfires', () => {
  const minute = 60_000;
  const t0 = Date.parse('2026-06-01T10:00:00Z');
  /** A job firing every 5 minutes from t0 (its registration), with this misfire_grace_time (s). */
  const every5 = (grace: number) => soloJob('j', { schedule: { trigger: 'interval', minutes: 5 }, policy: { misfire_grace_time: grace } }, t0);
  const kinds = (out: CatchUp[]) => out.map((c) => (c.kind === 'run' ? ['run', c.request.scheduledAt] : ['missed', Date.parse(c.record.scheduled_at!)]));

  it('the newest fire missed within the grace runs once; the older ones are one missed record', () => {
    const logger = captureLogger();
    const out = catchUpMisfires(every5(600), createFakeHistory(), t0 + 17 * minute, logger);
    // Fires at 10:05, 10:10 and 10:15 were missed; 10:15 is 2 minutes old, within 10.
    expect(kinds(out)).toEqual([
      ['missed', t0 + 10 * minute],
      ['run', t0 + 15 * minute],
    ]);
    const missed = out[0]!.kind === 'missed' ? out[0]!.record : null;
    expect(missed).toMatchObject({ job_id: 'j', trigger: 'schedule', status: 'missed', started_at: null, duration_ms: 0, attempt: 0 });
    expect(missed!.error).toMatch(/^2 fire\(s\) missed while the server was down \(from .* to .*\)$/);
    expect(missed!.ended_at).toBe(toIsoLocal(t0 + 17 * minute));
    expect(out[1]).toEqual({ kind: 'run', request: { trigger: 'schedule', scheduledAt: t0 + 15 * minute, attempt: 0 } });
    expect(logger.lines).toEqual([expect.stringMatching(/^WARN job j: 2 fire\(s\) missed/)]);
  });

  it('past the grace even the newest is only recorded as missed', () => {
    const out = catchUpMisfires(every5(60), createFakeHistory(), t0 + 17 * minute, silentLogger);
    expect(kinds(out)).toEqual([['missed', t0 + 15 * minute]]);
    expect(out[0]!.kind === 'missed' && out[0]!.record.error).toMatch(/^3 fire\(s\) missed/);
  });

  it('one fire missed within the grace: it runs, and no missed record is written', () => {
    expect(kinds(catchUpMisfires(every5(600), createFakeHistory(), t0 + 6 * minute, silentLogger))).toEqual([['run', t0 + 5 * minute]]);
  });

  it('nothing was due: nothing to do', () => {
    expect(catchUpMisfires(every5(600), createFakeHistory(), t0 + 4 * minute, silentLogger)).toEqual([]);
  });

  it('nothing twice: once its records are written, the next start finds nothing to catch up', () => {
    const history = createFakeHistory();
    const job = every5(600);
    const now = t0 + 17 * minute;
    for (const c of catchUpMisfires(job, history, now, silentLogger)) {
      history.record(c.kind === 'missed' ? c.record : { ...newRecord(job, c.request), status: 'completed' });
    }
    expect(catchUpMisfires(job, history, now, silentLogger)).toEqual([]);
    // Later, only the fires after the newest on record count.
    expect(kinds(catchUpMisfires(job, history, t0 + 21 * minute, silentLogger))).toEqual([['run', t0 + 20 * minute]]);
  });

  it('manual runs and retries do not count as fires on record', () => {
    const history = createFakeHistory();
    const job = every5(600);
    history.record({ ...newRecord(job, { trigger: 'manual', scheduledAt: t0 + 16 * minute, attempt: 0 }), status: 'completed' });
    history.record({ ...newRecord(job, { trigger: 'retry', scheduledAt: t0 + 16 * minute, attempt: 1 }), status: 'failed' });
    expect(kinds(catchUpMisfires(job, history, t0 + 17 * minute, silentLogger))).toEqual([
      ['missed', t0 + 10 * minute],
      ['run', t0 + 15 * minute],
    ]);
  });

  it('an on-demand job has nothing to catch up', () => {
    expect(catchUpMisfires(soloJob('d', {}, t0), createFakeHistory(), t0 + 1000 * minute, silentLogger)).toEqual([]);
  });

  it('an every-second schedule down for days stops counting at a bound and says "at least"', () => {
    const job = soloJob('s', { schedule: { trigger: 'interval', seconds: 1 }, policy: { misfire_grace_time: 60 } }, t0);
    const out = catchUpMisfires(job, createFakeHistory(), t0 + 3 * 24 * 3600_000, silentLogger);
    expect(out).toHaveLength(1);
    expect(out[0]!.kind === 'missed' && out[0]!.record.error).toMatch(/^at least \d+ fire\(s\) missed/);
  });
});
