import { describe, expect, it } from 'vitest';
import { parseJobDocument } from '../../src/job/parse.js';
import type { ValidationIssue } from '../../src/job/types.js';
import { expectMxxError } from '../_server.js';

const ctx = { id: 'daily', source: 'daily.toml' };
const base = { os: { cmd: 'echo hi' } };

function parse(doc: unknown) {
  return parseJobDocument(doc, ctx);
}

/** The thrown INVALID_JOB error (fails the test if parsing succeeds). */
function problems(doc: unknown, context = ctx): { message: string; details: ValidationIssue[] } {
  const e = expectMxxError(() => parseJobDocument(doc, context), 'INVALID_JOB');
  return { message: e.message, details: e.details as ValidationIssue[] };
}

describe('parseJobDocument: whole document', () => {
  it('fills defaults for a minimal job', () => {
    const def = parse(base);
    expect(def).toEqual({
      id: 'daily',
      lifetime: { grace: 5 },
      os: { cmd: 'echo hi', env: {} },
      policy: { overlap: 'skip', max_instances: 1, retries: 0, retry_delay: 5, misfire_grace_time: 60, history: 100 },
      config: { os: { cmd: 'echo hi' } },
      scheduleDoc: null,
    });
    expect('schedule' in def).toBe(false);
  });

  it('keeps config without schedule and the schedule section as written', () => {
    const doc = { lifetime: { lifetime: 60 }, os: { cmd: 'x' }, schedule: { trigger: 'cron', hour: 10, minute: 30 } };
    const def = parse(doc);
    expect(def.config).toEqual({ lifetime: { lifetime: 60 }, os: { cmd: 'x' } });
    expect(def.scheduleDoc).toEqual({ trigger: 'cron', hour: 10, minute: 30 });
    expect(def.schedule).toEqual({ trigger: 'cron', fields: { hour: 10, minute: 30 } });
  });

  it('turns Date values (TOML dates) into ISO text in config and scheduleDoc', () => {
    const def = parse({ ...base, schedule: { run_date: new Date('2026-06-01T10:00:00Z') } });
    expect(def.scheduleDoc).toEqual({ run_date: '2026-06-01T10:00:00.000Z' });
    expect(def.schedule).toEqual({ trigger: 'date', run_date: '2026-06-01T10:00:00.000Z' });
  });

  it.each([
    [null, 'daily.toml: the document must be a table of sections (lifetime, os, schedule, policy, notify, placement), got null'],
    [[1], 'daily.toml: the document must be a table of sections (lifetime, os, schedule, policy, notify, placement), got an array'],
    ['x', 'daily.toml: the document must be a table of sections (lifetime, os, schedule, policy, notify, placement), got "x"'],
    [undefined, 'daily.toml: the document must be a table of sections (lifetime, os, schedule, policy, notify, placement), got nothing'],
  ])('rejects a document that is not a table: %j', (doc, message) => {
    expect(problems(doc).message).toBe(message);
  });

  it('rejects an unknown section with a suggestion', () => {
    const { message, details } = problems({ ...base, shedule: { hour: 1 } });
    expect(message).toBe('daily.toml: shedule is not a known section (did you mean "schedule"?)');
    expect(details).toEqual([{ path: 'shedule', message: 'is not a known section (did you mean "schedule"?)' }]);
  });

  it('lists the sections when nothing is close', () => {
    expect(problems({ ...base, commands: {} }).message).toBe(
      'daily.toml: commands is not a known section (sections are lifetime, os, schedule, policy, notify, placement)',
    );
  });

  it('rejects a section that is not a table', () => {
    expect(problems({ ...base, lifetime: 60 }).message).toBe('daily.toml: lifetime must be a section (a table, [lifetime] in TOML), got 60');
  });

  it('reports every problem at once, one line each, all starting with the source', () => {
    const { message, details } = problems({
      lifetime: { lifetime: 0, grace: -1 },
      os: { cmd: '', cwdd: '/tmp' },
      schedule: { trigger: 'cron', minuet: 30, hour: 10 },
      policy: { overlap: 'qeue' },
    });
    expect(message.split('\n')).toEqual([
      'daily.toml: lifetime.lifetime must be a number greater than 0, got 0',
      'daily.toml: lifetime.grace must be a number of 0 or more, got -1',
      'daily.toml: os.cwdd is not a known key (did you mean "cwd"?)',
      'daily.toml: os.cmd must not be empty: give a command string, or a non-empty array of strings (run without a shell)',
      'daily.toml: policy.overlap must be one of skip, queue, replace, allow, got "qeue" (did you mean "queue"?)',
      'daily.toml: schedule.minuet is not a known key (did you mean "minute"?)',
    ]);
    expect(details.map((d) => d.path)).toEqual(['lifetime.lifetime', 'lifetime.grace', 'os.cwdd', 'os.cmd', 'policy.overlap', 'schedule.minuet']);
  });

  it('rejects an invalid id', () => {
    expect(problems(base, { id: 'a b', source: 'request' }).message).toMatch(/^request: the job id "a b" is not valid: /);
  });
});

describe('parseJobDocument: lifetime', () => {
  it('reads lifetime and grace', () => {
    expect(parse({ ...base, lifetime: { lifetime: 1.5, grace: 0 } }).lifetime).toEqual({ lifetime: 1.5, grace: 0 });
  });

  it.each([
    [0, 'must be a number greater than 0, got 0'],
    [-5, 'must be a number greater than 0, got -5'],
    ['x', 'must be a number greater than 0, got "x"'],
    ['60', 'must be a number greater than 0, got "60"'],
    [Infinity, 'must be a number greater than 0, got Infinity'],
    [true, 'must be a number greater than 0, got true'],
  ])('rejects lifetime = %j', (value, message) => {
    expect(problems({ ...base, lifetime: { lifetime: value } }).details).toEqual([{ path: 'lifetime.lifetime', message }]);
  });

  it('rejects an unknown key in [lifetime]', () => {
    expect(problems({ ...base, lifetime: { lifetim: 5 } }).message).toBe('daily.toml: lifetime.lifetim is not a known key (did you mean "lifetime"?)');
  });
});

describe('parseJobDocument: os', () => {
  it('requires cmd', () => {
    expect(problems({ lifetime: { lifetime: 5 } }).details).toEqual([
      { path: 'os.cmd', message: 'is required: a command string, or a non-empty array of strings (run without a shell)' },
    ]);
    expect(problems({ os: {} }).details[0]!.path).toBe('os.cmd');
  });

  it.each([[''], ['   '], [[]], [[1, 2]], [['', 'x']], [5], [{ a: 1 }]])('rejects cmd = %j', (cmd) => {
    expect(problems({ os: { cmd } }).details.map((d) => d.path)).toEqual(['os.cmd']);
  });

  it('accepts an array cmd, cwd, env (numbers and booleans as text) and kill', () => {
    const def = parse({ os: { cmd: ['ls', '-l'], cwd: '/tmp', env: { A: 'x', PORT: 8080, DEBUG: true }, kill: 'app' } });
    expect(def.os).toEqual({ cmd: ['ls', '-l'], cwd: '/tmp', env: { A: 'x', PORT: '8080', DEBUG: 'true' }, kill: ['app'] });
    expect(parse({ os: { cmd: 'x', kill: ['a', 'b'] } }).os.kill).toEqual(['a', 'b']);
  });

  it('rejects bad env and kill values', () => {
    const { details } = problems({ os: { cmd: 'x', env: { A: { b: 1 }, B: [1] }, kill: 5 } });
    expect(details).toEqual([
      { path: 'os.env.A', message: 'must be a string, number or boolean, got a table' },
      { path: 'os.env.B', message: 'must be a string, number or boolean, got an array' },
      { path: 'os.kill', message: 'must be a process name or an array of process names, got 5' },
    ]);
    expect(problems({ os: { cmd: 'x', env: 'A=1' } }).details).toEqual([{ path: 'os.env', message: 'must be a table of NAME = "value", got "A=1"' }]);
    expect(problems({ os: { cmd: 'x', kill: [] } }).details.map((d) => d.path)).toEqual(['os.kill']);
  });
});

describe('parseJobDocument: policy', () => {
  it('reads every key', () => {
    const policy = { overlap: 'allow', max_instances: 3, retries: 2, retry_delay: 0.5, misfire_grace_time: 0, history: 10, group: 'backups' };
    expect(parse({ ...base, policy }).policy).toEqual(policy);
  });

  it.each([
    ['max_instances', 0, 'must be a whole number of 1 or more, got 0'],
    ['max_instances', 1.5, 'must be a whole number of 1 or more, got 1.5'],
    ['retries', -1, 'must be a whole number of 0 or more, got -1'],
    ['retry_delay', -1, 'must be a number of 0 or more, got -1'],
    ['misfire_grace_time', 'x', 'must be a number of 0 or more, got "x"'],
    ['history', 0, 'must be a whole number of 1 or more, got 0'],
    ['group', '', 'must be a group name, got ""'],
    ['overlap', 'never', 'must be one of skip, queue, replace, allow, got "never"'],
  ])('rejects policy.%s = %j', (key, value, message) => {
    expect(problems({ ...base, policy: { [key]: value } }).details).toEqual([{ path: `policy.${key}`, message }]);
  });
});
