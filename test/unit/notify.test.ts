/** The notifier's pure parts: [notify] resolution, the recovered rule, the bounded queue, options. */
import { describe, expect, it } from 'vitest';
import { isMxxError } from '../../src/errors.js';
import { resolveNotify } from '../../src/job/notify.js';
import { parseJobDocument } from '../../src/job/parse.js';
import type { EventOf } from '../../src/events/types.js';
import type { RunRecord, RunStatus } from '../../src/records.js';
import { resolveNotifierOptions } from '../../src/notify/options.js';
import { RecoveryTracker } from '../../src/notify/outcomes.js';
import { WorkQueue } from '../../src/notify/work-queue.js';
import { createLogger } from '../../src/logger.js';
import { runIdOf } from '../../workers/run-sweep.js';

describe('resolveNotify', () => {
  const defaults = { webhook: 'https://hooks.example/all', headers: { Authorization: 'Bearer shared' }, on: ['failed' as const] };

  it('fills the defaults of config.toml into a job without [notify]', () => {
    expect(resolveNotify(undefined, defaults)).toEqual({
      on: new Set(['failed']),
      webhook: 'https://hooks.example/all',
      headers: { Authorization: 'Bearer shared' },
      lifetime: 60,
    });
  });

  it('enabled = false in the job opts out of the defaults', () => {
    expect(resolveNotify({ enabled: false }, defaults)).toBeNull();
  });

  it('enabled = true in the job overrides enabled = false in the defaults', () => {
    expect(resolveNotify({ enabled: true }, { ...defaults, enabled: false })?.webhook).toBe('https://hooks.example/all');
    expect(resolveNotify(undefined, { ...defaults, enabled: false })).toBeNull();
  });

  it('is null with nowhere to send', () => {
    expect(resolveNotify({ on: ['completed'] }, undefined)).toBeNull();
  });

  it('the job wins key by key; on defaults to failed, timed_out', () => {
    const resolved = resolveNotify({ cmd: 'notify-send x', lifetime: 5 }, { webhook: 'https://hooks.example/all' });
    expect(resolved).toEqual({ on: new Set(['failed', 'timed_out']), webhook: 'https://hooks.example/all', cmd: 'notify-send x', headers: {}, lifetime: 5 });
  });

  it("the defaults' headers go with the defaults' webhook only", () => {
    expect(resolveNotify({ headers: { 'X-Job': 'a' } }, defaults)?.headers).toEqual({ Authorization: 'Bearer shared', 'X-Job': 'a' });
    expect(resolveNotify({ webhook: 'https://other.example/hook' }, defaults)?.headers).toEqual({});
    expect(resolveNotify({ webhook: 'https://other.example/hook', headers: { 'X-Job': 'a' } }, defaults)?.headers).toEqual({ 'X-Job': 'a' });
  });
});

describe('[notify] parsing', () => {
  const problems = (notify: unknown): string[] => {
    try {
      parseJobDocument({ os: { cmd: 'true' }, notify }, { id: 'job', source: 'job.toml' });
    } catch (error) {
      if (isMxxError(error)) return error.message.split('\n');
      throw error;
    }
    return [];
  };

  it('reports every problem at once', () => {
    expect(problems({ webhok: 'x', on: ['faild', 'completed', 3], enabled: 'yes', lifetime: 0, cmd: '' })).toEqual([
      'job.toml: notify.webhok is not a known key (did you mean "webhook"?)',
      'job.toml: notify.enabled must be true or false, got "yes"',
      expect.stringMatching(/^job\.toml: notify\.on\[0\] must be one of .* got "faild" \(did you mean "failed"\?\)$/),
      expect.stringMatching(/^job\.toml: notify\.on\[2\] must be one of .* got 3$/),
      'job.toml: notify.cmd must be a command string, or a non-empty array of strings (run without a shell), got ""',
      expect.stringMatching(/^job\.toml: notify\.lifetime must be/),
    ]);
  });

  it('refuses credentials in the webhook URL and headers HTTP cannot carry', () => {
    expect(problems({ webhook: 'https://u:p@hooks.example/x' })).toEqual([
      'job.toml: notify.webhook must not carry a user name or password; send them as headers = { Authorization = "..." }',
    ]);
    expect(problems({ webhook: 'https://hooks.example/x', headers: { 'X-A': 'one\ntwo', 'bad name': 'x' } })).toEqual([
      'job.toml: notify.headers.X-A must be a string on one line, got a value with a line break or NUL',
      'job.toml: notify.headers has a header name that HTTP cannot carry: "bad name"',
    ]);
  });

  it('puts the section on the definition', () => {
    const def = parseJobDocument({ os: { cmd: 'true' }, notify: { webhook: 'https://hooks.example/x', on: 'recovered' } }, { id: 'job', source: 'job.toml' });
    expect(def.notify).toEqual({ webhook: 'https://hooks.example/x', on: ['recovered'] });
  });
});

describe('RecoveryTracker', () => {
  let n = 0;
  const ended = (status: RunStatus, job = 'j'): EventOf<'run.ended'> => ({
    id: ++n,
    type: 'run.ended',
    time: new Date().toISOString(),
    job_id: job,
    run_id: `r${n}`,
    trigger: 'manual',
    scheduled_at: null,
    status,
    exit_code: null,
    signal: null,
    duration_ms: 1,
    started_at: null,
    ended_at: null,
    error: null,
    attempt: 0,
  });
  const record = (run_id: string, status: RunStatus): RunRecord => ({ run_id, status } as RunRecord);

  it('recovered: the first completed run after failures; cancelled and interrupted change nothing', () => {
    const tracker = new RecoveryTracker(() => []);
    expect(tracker.eventsFor(ended('completed'))).toEqual(['completed']);
    expect(tracker.eventsFor(ended('failed'))).toEqual(['failed']);
    expect(tracker.eventsFor(ended('timed_out'))).toEqual(['timed_out']);
    expect(tracker.eventsFor(ended('cancelled'))).toEqual(['cancelled']);
    expect(tracker.eventsFor(ended('interrupted'))).toEqual(['interrupted']);
    expect(tracker.eventsFor(ended('completed'))).toEqual(['completed', 'recovered']);
    expect(tracker.eventsFor(ended('completed'))).toEqual(['completed']);
  });

  it('is per job', () => {
    const tracker = new RecoveryTracker(() => []);
    tracker.eventsFor(ended('failed', 'a'));
    expect(tracker.eventsFor(ended('completed', 'b'))).toEqual(['completed']);
    expect(tracker.eventsFor(ended('completed', 'a'))).toEqual(['completed', 'recovered']);
  });

  it('is seeded from the newest settled record before the run (newest first, the run itself included)', () => {
    const history = new Map<string, RunRecord[]>();
    const tracker = new RecoveryTracker((job) => history.get(job) ?? []);
    const first = ended('completed', 'restarted');
    history.set('restarted', [record(first.run_id, 'completed'), record('old2', 'cancelled'), record('old1', 'failed'), record('old0', 'completed')]);
    expect(tracker.eventsFor(first)).toEqual(['completed', 'recovered']);
    const healthy = ended('completed', 'healthy');
    history.set('healthy', [record(healthy.run_id, 'completed'), record('h1', 'skipped'), record('h0', 'completed')]);
    expect(tracker.eventsFor(healthy)).toEqual(['completed']);
  });

  it('forgets a removed job (then seeds again from its history)', () => {
    let seeded = 0;
    const tracker = new RecoveryTracker(() => {
      seeded++;
      return [];
    });
    tracker.eventsFor(ended('failed', 'gone'));
    tracker.forget('gone');
    expect(tracker.eventsFor(ended('completed', 'gone'))).toEqual(['completed']);
    expect(seeded).toBe(1);
  });

  it('maps the other run events', () => {
    const tracker = new RecoveryTracker(() => []);
    const base = { id: 1, time: '', job_id: 'j', run_id: 'r', trigger: 'schedule' as const, scheduled_at: null };
    expect(tracker.eventsFor({ ...base, type: 'run.started', pid: 1, started_at: null })).toEqual(['started']);
    expect(tracker.eventsFor({ ...base, type: 'run.skipped', reason: null })).toEqual(['skipped']);
    expect(tracker.eventsFor({ ...base, type: 'run.missed', reason: null })).toEqual(['missed']);
  });
});

describe('WorkQueue', () => {
  it('runs at most maxInFlight at once, holds at most maxQueued, refuses the rest', async () => {
    const queue = new WorkQueue(2, 1, (error) => {
      throw error;
    });
    const releases: (() => void)[] = [];
    let running = 0;
    let most = 0;
    const task = () => async (): Promise<void> => {
      running++;
      most = Math.max(most, running);
      await new Promise<void>((resolve) => releases.push(resolve));
      running--;
    };
    expect([queue.push(task()), queue.push(task()), queue.push(task()), queue.push(task())]).toEqual([true, true, true, false]);
    await new Promise((resolve) => setImmediate(resolve));
    expect({ inFlight: queue.inFlight, queued: queue.queued }).toEqual({ inFlight: 2, queued: 1 });
    releases.shift()!();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect({ inFlight: queue.inFlight, queued: queue.queued }).toEqual({ inFlight: 2, queued: 0 });
    for (const release of releases.splice(0)) release();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(most).toBe(2);
    expect(queue.inFlight).toBe(0);
  });

  it('never starts a task inside push', () => {
    const queue = new WorkQueue(1, 1, () => undefined);
    let started = false;
    queue.push(async () => {
      started = true;
    });
    expect(started).toBe(false);
  });
});

describe('resolveNotifierOptions', () => {
  const base = { logger: createLogger({ level: 'silent' }), serverUrl: () => '' };

  it('fills the documented defaults', () => {
    expect(resolveNotifierOptions(base)).toMatchObject({
      timeoutMs: 10_000,
      retries: 3,
      backoffMs: 1_000,
      cmdGraceMs: 5_000,
      maxInFlight: 16,
      maxQueued: 1_000,
      closeTimeoutMs: 5_000,
      outputBytes: 65_536,
    });
  });

  it.each([
    [{ timeoutMs: 0 }, 'notifier.timeoutMs must be a whole number ≥ 1, got 0'],
    [{ retries: -1 }, 'notifier.retries must be a whole number ≥ 0, got -1'],
    [{ maxInFlight: 1.5 }, 'notifier.maxInFlight must be a whole number ≥ 1, got 1.5'],
  ])('refuses %j', (partial, message) => {
    expect(() => resolveNotifierOptions({ ...base, ...partial })).toThrow(message);
  });
});

describe("the run sweep and notify cmds", () => {
  const environ = (...vars: string[]): Buffer => Buffer.from(`${vars.join('\0')}\0`, 'latin1');

  it('a process carrying MXX_EVENT (a notify cmd) is not one of the run\'s processes', () => {
    expect(runIdOf(environ('PATH=/bin', 'MXX_RUN_ID=r1'))).toBe('r1');
    expect(runIdOf(environ('PATH=/bin', 'MXX_RUN_ID=r1', 'MXX_EVENT=started'))).toBeNull();
    expect(runIdOf(environ('MXX_EVENT=failed', 'MXX_RUN_ID=r1'))).toBeNull();
    // Only the variable itself counts, not the text inside another one's value.
    expect(runIdOf(environ('NOTE=xMXX_EVENT=1', 'MXX_RUN_ID=r1'))).toBe('r1');
  });
});
