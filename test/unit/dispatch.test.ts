/**
 * The dispatcher on its own, with a fake pool: the FIFO concurrency gate, the record written before
 * the process starts, stops at every stage, and faults that fail one run.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FaultLog } from '../../src/supervisor/faults.js';
import { Dispatcher, type DispatcherOptions } from '../../src/supervisor/dispatch.js';
import type { RunResult, StopReason } from '../../workers/protocol.js';
import type { ActiveRun } from '../../src/supervisor/types.js';
import { FAKED, activeRun, nextTurns, captureLogger, createFakeHistory, createFakePool, jobDef, tempPaths, type FakePool } from '../_fakes.js';

interface Ended {
  runId: string;
  result: RunResult | null;
  reason: StopReason | undefined;
}

let paths: ReturnType<typeof tempPaths>;
beforeEach(() => {
  vi.useFakeTimers({ toFake: FAKED });
  paths = tempPaths();
});
afterEach(() => {
  vi.useRealTimers();
  paths.remove();
});

const turn = (): Promise<void> => nextTurns();

function setup(maxConcurrency: number, overrides: Partial<DispatcherOptions> = {}) {
  const pool = createFakePool();
  const history = createFakeHistory();
  const logger = captureLogger();
  const faults = new FaultLog(logger);
  const ended: Ended[] = [];
  const started: string[] = [];
  const dispatcher = new Dispatcher({
    pool,
    maxConcurrency,
    logCapBytes: 1024,
    tailBytes: 64,
    logPath: (run) => `${paths.logs}/${run.jobId}/${run.runId}.log`,
    faults,
    recorded: (run) => history.written(run.jobId),
    onStarted: (run) => started.push(run.runId),
    onOutput: () => {},
    onEnded: (run, result, reason) => ended.push({ runId: run.runId, result, reason }),
    ...overrides,
  });
  const def = jobDef('j', { os: { cmd: 'echo hi', env: { A: '1' } }, lifetime: { lifetime: 5, grace: 2 } });
  const submit = (runId: string): ActiveRun => {
    const run = activeRun('j', runId);
    dispatcher.submit(run, def);
    return run;
  };
  return { pool, history, logger, faults, ended, started, dispatcher, submit };
}

const sent = (pool: FakePool): string[] => pool.runs.map((r) => r.request.runId);

describe('the concurrency gate', () => {
  it('runs up to the limit at once and starts the waiting ones in submission order as slots free', async () => {
    const { pool, dispatcher, submit } = setup(2);
    for (const id of ['a', 'b', 'c', 'd', 'e']) submit(id);
    await turn();
    expect(sent(pool)).toEqual(['a', 'b']);
    expect([dispatcher.running, dispatcher.queued]).toEqual([2, 3]);
    pool.run_('b').end();
    await turn();
    expect(sent(pool)).toEqual(['a', 'b', 'c']);
    pool.run_('a').end();
    pool.run_('c').end();
    await turn();
    expect(sent(pool)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect([dispatcher.running, dispatcher.queued]).toEqual([2, 0]);
  });

  it('says whether a run would wait, and a new run waits behind older waiting ones even when a slot is free', async () => {
    const { pool, dispatcher, submit } = setup(1);
    expect(dispatcher.willWait()).toBe(false);
    submit('a');
    expect(dispatcher.willWait()).toBe(true);
    submit('b');
    await turn();
    pool.run_('a').end();
    // The slot is free, but b waits for the next turn: c must not overtake it.
    expect(dispatcher.submit(activeRun('j', 'c'), jobDef('j'))).toBe(true);
    await turn();
    expect(sent(pool)).toEqual(['a', 'b']);
    pool.run_('b').end();
    await turn();
    expect(sent(pool)).toEqual(['a', 'b', 'c']);
  });

  it('never starts the next run from inside the ending one (it waits for the next turn)', async () => {
    const { pool, dispatcher, submit, ended } = setup(1);
    submit('a');
    submit('b');
    await turn();
    pool.run_('a').end();
    await Promise.resolve();
    await Promise.resolve();
    expect(ended.map((e) => e.runId)).toEqual(['a']);
    expect(sent(pool)).toEqual(['a']);
    expect(dispatcher.running).toBe(0);
    await turn();
    expect(sent(pool)).toEqual(['a', 'b']);
  });
});

describe('the hand-off to the pool', () => {
  it('waits for the run record to be written before the pool gets the run', async () => {
    const { pool, history, submit } = setup(4);
    history.hold();
    submit('a');
    await turn();
    expect(pool.runs).toHaveLength(0);
    history.release();
    await turn();
    expect(sent(pool)).toEqual(['a']);
  });

  it('sends the job\'s command, environment, lifetime, grace and log settings', async () => {
    vi.setSystemTime(Date.parse('2026-06-01T10:00:00Z'));
    const { pool, submit } = setup(1);
    submit('a');
    await turn();
    expect(pool.runs[0]!.request).toMatchObject({
      runId: 'a',
      jobId: 'j',
      cmd: 'echo hi',
      env: { A: '1', MXX_JOB_ID: 'j', MXX_RUN_ID: 'a' },
      lifetimeMs: 5000,
      graceMs: 2000,
      logPath: `${paths.logs}/j/a.log`,
      logCapBytes: 1024,
      tailBytes: 64,
    });
    expect(pool.runs[0]!.request.env.MXX_SCHEDULED_AT).toBeDefined();
  });

  it('takes the pid and start time from the worker\'s started event', async () => {
    const { pool, submit, started } = setup(1);
    const run = submit('a');
    await turn();
    pool.run_('a').start(4242);
    expect(started).toEqual(['a']);
    expect(run.record.pid).toBe(4242);
    expect(run.record.started_at).not.toBeNull();
  });

  it('a pool that fails the run is a failed result, and frees the slot', async () => {
    const { pool } = setup(1);
    const broken = { ...pool, run: (...args: Parameters<FakePool['run']>) => ({ ...pool.run(...args), result: Promise.reject(new Error('thread died')) }) };
    const d = setup(1, { pool: broken as FakePool });
    d.submit('x');
    await turn();
    expect(d.ended).toEqual([{ runId: 'x', result: expect.objectContaining({ status: 'failed', error: 'execution pool failed: thread died' }), reason: undefined }]);
    expect(d.dispatcher.running).toBe(0);
  });
});

describe('stopping a run', () => {
  it('while it waits for a slot: it ends at once, unlaunched, and never reaches the pool', async () => {
    const { pool, dispatcher, submit, ended } = setup(1);
    submit('a');
    const b = submit('b');
    submit('c');
    dispatcher.stop(b, 'cancelled');
    expect(ended).toEqual([{ runId: 'b', result: null, reason: 'cancelled' }]);
    expect(dispatcher.queued).toBe(1);
    await turn();
    pool.run_('a').end();
    await turn();
    expect(sent(pool)).toEqual(['a', 'c']);
  });

  it('while its record is being written: it ends unlaunched once written, and its slot goes to the next run', async () => {
    const { pool, history, dispatcher, submit, ended } = setup(1);
    history.hold();
    const a = submit('a');
    submit('b');
    dispatcher.stop(a, 'replaced');
    expect(ended).toEqual([]);
    history.release();
    await turn();
    expect(ended).toEqual([{ runId: 'a', result: null, reason: 'replaced' }]);
    expect(sent(pool)).toEqual(['b']);
  });

  it('in the pool: the stop goes to the pool, and the run ends with the pool\'s result', async () => {
    const { pool, dispatcher, submit, ended } = setup(1);
    const a = submit('a');
    await turn();
    pool.run_('a').start();
    dispatcher.stop(a, 'cancelled');
    await turn();
    expect(pool.run_('a').stops).toEqual(['cancelled']);
    expect(ended).toEqual([{ runId: 'a', result: expect.objectContaining({ status: 'cancelled', stopReason: 'cancelled' }), reason: undefined }]);
  });

  it('drainWaiting ends every waiting run with the reason, leaving the runs in the pool', async () => {
    const { pool, dispatcher, submit, ended } = setup(1);
    for (const id of ['a', 'b', 'c']) submit(id);
    await turn();
    dispatcher.drainWaiting('shutdown');
    expect(ended).toEqual([
      { runId: 'b', result: null, reason: 'shutdown' },
      { runId: 'c', result: null, reason: 'shutdown' },
    ]);
    expect(pool.inFlight().map((r) => r.request.runId)).toEqual(['a']);
  });
});

describe('faults fail the one run', () => {
  it('a log folder that cannot be created: failed on the next turn, counted and logged, the pool never called', async () => {
    const { pool, faults, logger, ended, submit, dispatcher } = setup(1, { logPath: (run) => `/dev/null/${run.jobId}/${run.runId}.log` });
    submit('a');
    submit('b');
    // Accepted first: the caller sees a run, which then fails.
    expect(ended).toEqual([]);
    // a's slot is freed on a later turn, and b fails the same way.
    await turn();
    expect(ended.map((e) => [e.runId, e.result?.status])).toEqual([
      ['a', 'failed'],
      ['b', 'failed'],
    ]);
    expect(ended[0]!.result!.error).toMatch(/^could not create the log folder \/dev\/null\/j: /);
    expect(pool.runs).toHaveLength(0);
    expect(faults.counts.log).toBe(2);
    // The second fault of a kind within a minute is counted, not logged again.
    expect(logger.lines.filter((l) => l.startsWith('WARN'))).toHaveLength(1);
    expect(dispatcher.running).toBe(0);
  });

  it('a run record that cannot be written: failed, counted as a history fault, the pool never called', async () => {
    const { pool, history, faults, ended, submit } = setup(1);
    history.hold();
    submit('a');
    history.fail(new Error('write failed', { cause: new Error('ENOSPC: no space left on device') }));
    await turn();
    expect(ended).toEqual([
      { runId: 'a', result: expect.objectContaining({ status: 'failed', error: 'could not record the run in the history: ENOSPC: no space left on device' }), reason: undefined },
    ]);
    expect(pool.runs).toHaveLength(0);
    expect(faults.counts.history).toBe(1);
  });
});
