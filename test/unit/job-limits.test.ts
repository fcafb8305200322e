/**
 * Values that parse but can never run (issue #10 item 10, and the deep-JSON half of item 12):
 * numbers past a sane range, NUL bytes that no exec or environment can carry, documents nested
 * deep enough to overflow the validator's stack.
 */
import { describe, expect, it } from 'vitest';
import { parseJobText } from '../../src/job/load-file.js';
import { parseJobDocument, parseJobRequest } from '../../src/job/parse.js';
import type { ValidationIssue } from '../../src/job/types.js';
import { expectMxxError } from '../_server.js';

const ctx = { id: 'daily', source: 'daily.toml' };
const base = { os: { cmd: 'echo hi' } };

function problems(doc: unknown): ValidationIssue[] {
  return expectMxxError(() => parseJobDocument(doc, ctx), 'INVALID_JOB').details as ValidationIssue[];
}

/** `{"a": {"a": … 1 …}}`, `levels` objects deep. */
function nested(levels: number): unknown {
  return JSON.parse(`${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`);
}

describe('numbers have sane ranges', () => {
  it.each([
    ['lifetime', 'lifetime', 1e308, 'must be at most 31536000 seconds (one year), got 1e+308'],
    ['lifetime', 'lifetime', 31_536_001, 'must be at most 31536000 seconds (one year), got 31536001'],
    ['lifetime', 'grace', 1e308, 'must be at most 31536000 seconds (one year), got 1e+308'],
    ['schedule', 'jitter', 1e21, 'must be at most 31536000 seconds (one year), got 1e+21'],
    ['policy', 'retry_delay', 1e308, 'must be at most 31536000 seconds (one year), got 1e+308'],
  ])('%s.%s = %j is refused', (section, key, value, message) => {
    const doc = { ...base, [section]: { ...(section === 'schedule' ? { minutes: 5 } : {}), [key]: value } };
    expect(problems(doc)).toEqual([{ path: `${section}.${key}`, message }]);
  });

  it('accepts one year exactly', () => {
    const def = parseJobDocument({ ...base, lifetime: { lifetime: 31_536_000, grace: 31_536_000 }, schedule: { minutes: 5, jitter: 31_536_000 } }, ctx);
    expect(def.lifetime).toEqual({ lifetime: 31_536_000, grace: 31_536_000 });
    expect(def.schedule?.jitter).toBe(31_536_000);
  });

  it.each([
    [{ seconds: 1e13 }, 'schedule.seconds', 'must be at most 315360000 seconds (ten years), got 10000000000000 seconds'],
    [{ seconds: 1e21 }, 'schedule.seconds', 'must be at most 315360000 seconds (ten years), got 1e+21 seconds'],
    [{ interval_seconds: 1e21 }, 'schedule.interval_seconds', 'must be at most 315360000 seconds (ten years), got 1e+21 seconds'],
    [{ days: 1e8 }, 'schedule.days', 'must be at most 315360000 seconds (ten years), got 100000000 days'],
    [{ weeks: 1e308 }, 'schedule.weeks', 'must be at most 315360000 seconds (ten years), got 1e+308 weeks'],
    [{ days: 3650, seconds: 1 }, 'schedule', 'has an interval of 315360001 seconds (days, seconds): it must be at most 315360000 seconds (ten years)'],
  ])('an interval of %j is refused', (units, path, message) => {
    expect(problems({ ...base, schedule: { trigger: 'interval', ...units } })).toEqual([{ path, message }]);
  });

  it('accepts an interval of ten years', () => {
    expect(parseJobDocument({ ...base, schedule: { days: 3650 } }, ctx).schedule).toEqual({ trigger: 'interval', interval_ms: 315_360_000_000 });
  });
});

describe('strings hold no NUL byte', () => {
  it('refuses NUL in cmd (string and array), cwd, env names and values, and kill names', () => {
    expect(problems({ os: { cmd: 'echo a\0b' } })).toEqual([{ path: 'os.cmd', message: 'must not contain a NUL byte' }]);
    expect(problems({ os: { cmd: ['echo', 'a\0b'] } })).toEqual([{ path: 'os.cmd[1]', message: 'must not contain a NUL byte' }]);
    expect(problems({ os: { cmd: 'x', cwd: '/tmp\0/x' } })).toEqual([{ path: 'os.cwd', message: 'must not contain a NUL byte' }]);
    expect(problems({ os: { cmd: 'x', env: { 'A\0B': 'x' } } })).toEqual([
      { path: 'os.env', message: 'has a variable name with a NUL byte: "A\\u0000B"' },
    ]);
    expect(problems({ os: { cmd: 'x', env: { A: 'x\0y' } } })).toEqual([{ path: 'os.env.A', message: 'must not contain a NUL byte' }]);
    expect(problems({ os: { cmd: 'x', kill: 'app\0' } })).toEqual([{ path: 'os.kill', message: 'must not contain a NUL byte' }]);
    expect(problems({ os: { cmd: 'x', kill: ['a', 'b\0'] } })).toEqual([{ path: 'os.kill[1]', message: 'must not contain a NUL byte' }]);
    expect(problems({ ...base, policy: { group: 'g\0' } })).toEqual([{ path: 'policy.group', message: 'must not contain a NUL byte' }]);
  });

  it('names the whole key in the message line', () => {
    const error = expectMxxError(() => parseJobDocument({ os: { cmd: 'echo a\0b' } }, ctx), 'INVALID_JOB');
    expect(error.message).toBe('daily.toml: os.cmd must not contain a NUL byte');
  });
});

describe('documents are at most 32 levels deep', () => {
  it('refuses JSON nested 50 000 deep with an INVALID_JOB naming the limit, not a stack overflow', () => {
    const doc = { os: { cmd: 'x', env: nested(50_000) } };
    expect(problems(doc)).toEqual([
      { path: 'os.env.a.a', message: 'is nested too deep: a job document may be at most 32 levels deep' },
    ]);
  });

  it('refuses it in an API body as INVALID_JOB too (400)', () => {
    const error = expectMxxError(() => parseJobRequest({ job_id: 'deep', config: { os: { cmd: 'x' }, lifetime: nested(50_000) } }), 'INVALID_JOB');
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/^request: lifetime\.a\.a\.a is nested too deep: a job document may be at most 32 levels deep$/);
  });

  it('refuses a deep JSON job file', () => {
    const text = `{"os": {"cmd": "x", "env": ${'['.repeat(50_000)}${']'.repeat(50_000)}}}`;
    expect(() => parseJobDocument(parseJobText(text, 'json', 'deep.json'), { id: 'deep', source: 'deep.json' })).toThrow(
      /^deep\.json: os\.env\[0\]\[0\] is nested too deep: a job document may be at most 32 levels deep$/,
    );
  });

  it('accepts 32 levels, refuses 33', () => {
    // The document is level 1, [os] level 2, env level 3: 29 more levels of tables inside env's value.
    expect(problems({ os: { cmd: 'x', env: { A: nested(29) } } })[0]!.path).toBe('os.env.A');
    expect(problems({ os: { cmd: 'x', env: { A: nested(30) } } })[0]!).toEqual({
      path: 'os.env.A.a',
      message: 'is nested too deep: a job document may be at most 32 levels deep',
    });
  });
});
