/**
 * The run engine on a fake pool and a fake clock: retries with a doubling delay, the queued fire
 * started after the run it waited for, replacement waiting for its victim, groups, skips and
 * shutdown. No process runs and no real time passes.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EventHub } from '../../src/events/hub.js';
import type { ServerEvent } from '../../src/events/types.js';
import { silentLogger } from '../../src/logger.js';
import type { RunRecord } from '../../src/records.js';
import { FaultLog } from '../../src/supervisor/faults.js';
import { RunEngine } from '../../src/supervisor/run-engine.js';
import type { FireRequest } from '../../src/supervisor/types.js';
import { FAKED, createFakeHistory, createFakePool, fakeCounters, jobDef, jobTable, nextTurns, tempPaths, type FakePoolOptions } from '../_fakes.js';

let paths: ReturnType<typeof tempPaths>;
beforeEach(() => {
  vi.useFakeTimers({ toFake: FAKED, now: Date.parse('2026-06-01T10:00:00Z') });
  paths = tempPaths();
});
afterEach(() => {
  vi.useRealTimers();
  paths.remove();
});

const manual: FireRequest = { trigger: 'manual', scheduledAt: null, attempt: 0 };
const scheduled = (): FireRequest => ({ trigger: 'schedule', scheduledAt: Date.now(), attempt: 0 });

function setup(docs: Record<string, Record<string, unknown>>, { maxConcurrency = 10, pool: poolOptions = {} }: { maxConcurrency?: number; pool?: FakePoolOptions } = {}) {
  const pool = createFakePool(poolOptions);
  const history = createFakeHistory();
  const table = jobTable(...Object.entries(docs).map(([id, doc]) => jobDef(id, doc)));
  const ended: RunRecord[] = [];
  const events = new EventHub(1000);
  const seen: ServerEvent[] = [];
  events.subscribe((e) => seen.push(e));
  const engine = new RunEngine({
    paths,
    pool,
    table,
    history,
    counters: fakeCounters(),
    maxConcurrency,
    logCapBytes: 1024,
    tailBytes: 64,
    labels: [],
    faults: new FaultLog(silentLogger),
    events,
    onOutput: () => {},
    onEnded: (record) => ended.push(record),
    onJobRunEnded: () => {},
  });
  const fire = (id: string, request: FireRequest = scheduled()) => engine.fire(table.get(id)!, request);
  /** Run ids in the order the pool got them. */
  const sentRuns = () => pool.runs.map((r) => r.request.runId);
  return { pool, history, table, ended, engine, fire, sentRuns, seen };
}

describe('retries', () => {
  it('a failed run is retried after retry_delay, doubling each attempt, up to `retries` times', async () => {
    const { pool, history, fire } = setup({ flaky: { policy: { retries: 3, retry_delay: 10 } } });
    fire('flaky', manual);
    await nextTurns();
    const gaps: number[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      pool.runs.at(-1)!.end({ status: attempt === 1 ? 'timed_out' : 'failed', exitCode: 1 });
      const endedAt = Date.now();
      await nextTurns();
      // Not a millisecond early.
      const delay = 10_000 * 2 ** attempt;
      await vi.advanceTimersByTimeAsync(delay - 1);
      expect(pool.runs).toHaveLength(attempt + 1);
      await vi.advanceTimersByTimeAsync(1);
      await nextTurns();
      expect(pool.runs).toHaveLength(attempt + 2);
      gaps.push(Date.now() - endedAt);
    }
    expect(gaps).toEqual([10_000, 20_000, 40_000]);
    pool.runs.at(-1)!.end({ status: 'failed', exitCode: 1 });
    await nextTurns();
    // The last attempt is not retried, however long we wait.
    await vi.advanceTimersByTimeAsync(400 * 24 * 3600_000);
    expect(pool.runs).toHaveLength(4);
    expect(history.runsOf('flaky').map((r) => [r.trigger, r.attempt, r.status])).toEqual([
      ['manual', 0, 'failed'],
      ['retry', 1, 'timed_out'],
      ['retry', 2, 'failed'],
      ['retry', 3, 'failed'],
    ]);
  });

  it('a completed or stopped run is not retried', async () => {
    const { pool, engine, fire } = setup({ ok: { policy: { retries: 2, retry_delay: 1 } }, stopped: { policy: { retries: 2, retry_delay: 1 } } });
    fire('ok', manual);
    const stopped = fire('stopped', manual);
    await nextTurns();
    pool.run_(pool.runs[0]!.request.runId).end();
    if (stopped.kind !== 'started') throw new Error('not started');
    engine.stop(stopped.run, 'cancelled');
    await nextTurns();
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(pool.runs).toHaveLength(2);
  });

  it('a retry is itself subject to the overlap policy', async () => {
    const { pool, history, fire } = setup({ j: { policy: { retries: 1, retry_delay: 5 } } });
    fire('j', manual);
    await nextTurns();
    pool.runs[0]!.end({ status: 'failed', exitCode: 1 });
    await nextTurns();
    // A scheduled fire runs in the meantime and is still running when the retry falls due.
    fire('j');
    await nextTurns();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(pool.runs).toHaveLength(2);
    expect(history.runsOf('j').map((r) => [r.trigger, r.status])).toEqual([
      ['manual', 'failed'],
      ['schedule', 'running'],
      ['retry', 'skipped'],
    ]);
  });
});

describe('overlap = queue', () => {
  it('the queued fire starts once the run it waited for has ended, as the same run', async () => {
    const { pool, history, fire, sentRuns } = setup({ q: { policy: { overlap: 'queue' } } });
    const first = fire('q');
    const second = fire('q');
    const third = fire('q');
    expect([first.kind, second.kind, third.kind]).toEqual(['started', 'queued', 'skipped']);
    if (second.kind !== 'queued' || first.kind !== 'started') throw new Error('unexpected outcomes');
    await nextTurns();
    expect(sentRuns()).toEqual([first.run.runId]);
    expect(history.get(second.run.runId)!.status).toBe('queued');
    pool.runs[0]!.end();
    await nextTurns();
    expect(sentRuns()).toEqual([first.run.runId, second.run.runId]);
    expect(history.get(second.run.runId)!.status).toBe('running');
    pool.runs[1]!.end();
    await nextTurns();
    expect(history.runsOf('q').map((r) => r.status)).toEqual(['completed', 'completed', 'skipped']);
  });

  it('a run that waited for a free slot shows running once its process started', async () => {
    const { pool, engine, fire } = setup({ a: {}, b: {} }, { maxConcurrency: 1 });
    fire('a', manual);
    const waiting = fire('b', manual);
    if (waiting.kind !== 'started') throw new Error('not accepted');
    await nextTurns();
    expect(engine.runs.get(waiting.run.runId)!.record.status).toBe('queued');
    pool.runs[0]!.end();
    await nextTurns();
    pool.runs[1]!.start();
    expect(engine.runs.get(waiting.run.runId)!.record.status).toBe('running');
  });

  it('a queued fire stopped before it started ends cancelled and never runs', async () => {
    const { pool, engine, history, fire } = setup({ q: { policy: { overlap: 'queue' } } });
    fire('q');
    const queued = fire('q');
    if (queued.kind !== 'queued') throw new Error('not queued');
    engine.stop(queued.run, 'cancelled');
    expect(history.get(queued.run.runId)).toMatchObject({ status: 'cancelled', error: 'stopped while queued' });
    await nextTurns();
    pool.runs[0]!.end();
    await nextTurns();
    expect(pool.runs).toHaveLength(1);
  });

  it('in a group, a queued member starts when the other member\'s run ends', async () => {
    const { pool, history, fire } = setup({ a: { policy: { group: 'g' } }, b: { policy: { group: 'g', overlap: 'queue' } } });
    expect(fire('a').kind).toBe('started');
    expect(fire('b').kind).toBe('queued');
    await nextTurns();
    expect(pool.runs.map((r) => r.request.jobId)).toEqual(['a']);
    pool.runs[0]!.end();
    await nextTurns();
    expect(pool.runs.map((r) => r.request.jobId)).toEqual(['a', 'b']);
    expect(history.runsOf('b').map((r) => r.status)).toEqual(['running']);
  });
});

describe('overlap = replace', () => {
  it('stops the run in progress and starts the new one only once the victim has ended', async () => {
    const { pool, history, fire, sentRuns } = setup({ r: { policy: { overlap: 'replace' } } }, { pool: { endOnStop: false } });
    const first = fire('r');
    await nextTurns();
    pool.runs[0]!.start();
    const second = fire('r');
    expect(second.kind).toBe('started');
    if (first.kind !== 'started' || second.kind !== 'started') throw new Error('unexpected outcomes');
    expect(pool.runs[0]!.stops).toEqual(['replaced']);
    // The victim takes its grace to end: the new run waits.
    await vi.advanceTimersByTimeAsync(60_000);
    expect(sentRuns()).toEqual([first.run.runId]);
    pool.runs[0]!.end({ status: 'cancelled', stopReason: 'replaced', exitCode: null, signal: 'SIGTERM' });
    await nextTurns();
    expect(sentRuns()).toEqual([first.run.runId, second.run.runId]);
    expect(history.get(first.run.runId)).toMatchObject({ status: 'cancelled', error: `replaced by run ${second.run.runId}` });
  });

  it('replaces the other members of its group too', async () => {
    const { pool, history, fire } = setup({ a: { policy: { group: 'g' } }, r: { policy: { group: 'g', overlap: 'replace' } } });
    const victim = fire('a');
    await nextTurns();
    fire('r');
    await nextTurns();
    if (victim.kind !== 'started') throw new Error('not started');
    expect(history.get(victim.run.runId)!.status).toBe('cancelled');
    expect(pool.runs.map((r) => r.request.jobId)).toEqual(['a', 'r']);
  });
});

describe('skips and the concurrency gate', () => {
  it('a skipped scheduled fire is recorded; a refused manual trigger is not (the caller is told instead)', () => {
    const { history, fire, ended } = setup({ s: {} });
    fire('s');
    expect(fire('s')).toEqual({ kind: 'skipped', reason: expect.stringMatching(/already running/) });
    expect(fire('s', manual).kind).toBe('skipped');
    expect(history.runsOf('s').map((r) => r.status)).toEqual(['running', 'skipped']);
    expect(ended.map((r) => r.status)).toEqual(['skipped']);
  });

  it('a run above the limit is recorded as queued and reaches the pool when a slot frees', async () => {
    const { pool, history, fire } = setup({ a: {}, b: {} }, { maxConcurrency: 1 });
    fire('a');
    const b = fire('b');
    if (b.kind !== 'started') throw new Error('not started');
    expect(history.get(b.run.runId)!.status).toBe('queued');
    await nextTurns();
    expect(pool.runs).toHaveLength(1);
    pool.runs[0]!.end();
    await nextTurns();
    expect(pool.runs.map((r) => r.request.runId)).toEqual([pool.runs[0]!.request.runId, b.run.runId]);
    pool.runs[1]!.start(777);
    pool.runs[1]!.end();
    await nextTurns();
    expect(history.get(b.run.runId)).toMatchObject({ status: 'completed', pid: 777 });
  });
});

describe('shutdown', () => {
  it('stops every run, ends waiting and queued ones as interrupted, and starts nothing after', async () => {
    const { pool, engine, history, fire } = setup({ a: { policy: { retries: 1, retry_delay: 1 } }, b: {}, q: { policy: { overlap: 'queue' } } }, { maxConcurrency: 2 });
    fire('a');
    fire('q');
    fire('q');
    const waiting = fire('b');
    await nextTurns();
    expect(pool.runs).toHaveLength(2);
    await engine.shutdown();
    if (waiting.kind !== 'started') throw new Error('not started');
    expect(history.get(waiting.run.runId)).toMatchObject({ status: 'interrupted' });
    expect(history.runsOf('q').map((r) => r.status)).toEqual(['interrupted', 'interrupted']);
    expect(history.runsOf('a').map((r) => r.status)).toEqual(['interrupted']);
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(pool.runs).toHaveLength(2);
    expect(engine.runs.size).toBe(0);
  });
});

describe('events', () => {
  it('a run that waits for a slot is run.queued (concurrency), then run.started and run.ended with its outcome', async () => {
    const { pool, fire, seen } = setup({ a: {}, b: {} }, { maxConcurrency: 1 });
    fire('a');
    fire('b');
    await nextTurns();
    pool.runs[0]!.start();
    pool.runs[0]!.end({ status: 'failed', exitCode: 3 });
    await nextTurns();
    pool.runs[1]!.start();
    pool.runs[1]!.end({ status: 'completed', exitCode: 0 });
    await nextTurns();
    const trail = seen.map((e) => `${e.type}:${'job_id' in e ? e.job_id : ''}`);
    expect(trail).toEqual(['run.queued:b', 'run.started:a', 'run.ended:a', 'run.started:b', 'run.ended:b']);
    expect(seen.find((e) => e.type === 'run.queued')).toMatchObject({ reason: 'concurrency', trigger: 'schedule' });
    expect(seen.find((e) => e.type === 'run.ended')).toMatchObject({ job_id: 'a', status: 'failed', exit_code: 3 });
  });

  it('a fire queued behind its own run is run.queued (overlap); a skipped fire is run.skipped with the reason', async () => {
    const { fire, seen } = setup({ q: { policy: { overlap: 'queue' } }, s: {} });
    fire('q');
    fire('q');
    fire('s');
    fire('s');
    await nextTurns();
    expect(seen.filter((e) => e.type === 'run.queued')).toMatchObject([{ job_id: 'q', reason: 'overlap' }]);
    const skipped = seen.filter((e) => e.type === 'run.skipped');
    expect(skipped).toHaveLength(1);
    expect(skipped[0]).toMatchObject({ job_id: 's' });
    expect(String((skipped[0] as { reason: string }).reason)).toMatch(/running/);
  });
});
