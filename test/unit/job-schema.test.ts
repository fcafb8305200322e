/**
 * The job-file JSON Schema (schema/mxx-job.schema.json) against the real validator: every fixture
 * and a set of synthetic documents go through both, so the schema editors use cannot drift from
 * what the server accepts. Where a JSON Schema cannot say what the validator checks (a time zone
 * name, a cron pattern that never fires), the case is listed by name as a known miss.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MxxError } from '../../src/errors.js';
import { ONE_YEAR, TEN_YEARS, toPlain } from '../../src/job/issues.js';
import { jobJsonSchema, jobJsonSchemaText } from '../../src/job/json-schema.js';
import { jobFileFormat, loadJobFile, parseJobText } from '../../src/job/load-file.js';
import { NOTIFY_KEYS } from '../../src/job/notify.js';
import { PLACEMENT_KEYS } from '../../src/job/placement.js';
import { LIFETIME_KEYS, OS_KEYS, parseJobDocument, POLICY_KEYS, SECTIONS } from '../../src/job/parse.js';
import { SCHEDULE_KEYS } from '../../src/job/parse-schedule.js';
import { ROOT } from '../_cli.js';

const FIXTURES = join(ROOT, 'fixtures', 'jobs');
const SCHEMA_FILE = join(ROOT, 'schema', 'mxx-job.schema.json');

// Strict: an unknown keyword or a keyword on the wrong type is an error, as it would be a silent
// no-op in an editor. Open tuples are meant (a command's first item is non-blank, the rest any
// string), so strictTuples is off; so is strictRequired, as the schedule's if/then rules require
// keys that the section (their parent) defines.
const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: true, strictTuples: false, strictRequired: false, allowUnionTypes: true });
const schemaCheck = ajv.compile(jobJsonSchema());

type Doc = Record<string, unknown>;

/** Whether the schema accepts a parsed document (as the validator sees it: TOML dates as ISO text). */
function schemaAccepts(doc: unknown): boolean {
  return schemaCheck(toPlain(doc)) as boolean;
}

/** Whether the real validator accepts it; anything but INVALID_JOB is a bug and fails the test. */
function validatorAccepts(doc: unknown): boolean {
  try {
    parseJobDocument(doc, { id: 'synthetic', source: 'synthetic' });
    return true;
  } catch (error) {
    if (error instanceof MxxError && error.code === 'INVALID_JOB') return false;
    throw error;
  }
}

const verdicts = (doc: unknown): { schema: boolean; validator: boolean } => ({ schema: schemaAccepts(doc), validator: validatorAccepts(doc) });

async function parseFixture(dir: 'valid' | 'invalid', name: string): Promise<unknown> {
  const format = jobFileFormat(name);
  if (!format) throw new Error(`${name} is not a job file`);
  return parseJobText(await readFile(join(FIXTURES, dir, name), 'utf8'), format, name);
}

describe('the committed schema file', () => {
  it('is what src/job/json-schema.ts generates (regenerate: mxx schema --output schema/mxx-job.schema.json)', async () => {
    const text = await readFile(SCHEMA_FILE, 'utf8');
    expect(text).toBe(jobJsonSchemaText());
    expect(JSON.parse(text)).toEqual(jobJsonSchema());
  });

  it('is a draft-07 schema with an $id, a section per validator section and additionalProperties false everywhere', () => {
    const schema = jobJsonSchema() as { $schema: string; $id: string; properties: Record<string, { properties: Doc; additionalProperties: unknown }>; additionalProperties: unknown };
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(schema.$id).toMatch(/^[a-z]+:/);
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties)).toEqual([...SECTIONS]);
    const known: Record<string, readonly string[]> = { lifetime: LIFETIME_KEYS, os: OS_KEYS, schedule: SCHEDULE_KEYS, policy: POLICY_KEYS, notify: NOTIFY_KEYS, placement: PLACEMENT_KEYS };
    for (const section of SECTIONS) {
      expect(Object.keys(schema.properties[section]!.properties), section).toEqual([...known[section]!]);
      expect(schema.properties[section]!.additionalProperties, section).toBe(false);
    }
  });

  it('carries the validator defaults', () => {
    const schema = jobJsonSchema() as { properties: Record<string, { properties: Record<string, { default?: unknown }> }> };
    const def = parseJobDocument({ os: { cmd: 'true' } }, { id: 'x', source: 'x' });
    expect(schema.properties.lifetime!.properties.grace!.default).toBe(def.lifetime.grace);
    for (const [key, value] of Object.entries(def.policy)) expect(schema.properties.policy!.properties[key]!.default, key).toBe(value);
    expect(schema.properties.notify!.properties.on!.default).toEqual(['failed', 'timed_out']);
  });
});

describe('fixtures: schema and validator agree', () => {
  it('every valid job file passes both', async () => {
    const names = (await readdir(join(FIXTURES, 'valid'))).filter((name) => jobFileFormat(name) !== null);
    expect(names.length).toBeGreaterThanOrEqual(10);
    for (const name of names) {
      const doc = await parseFixture('valid', name);
      expect(schemaAccepts(doc), `${name}: ${JSON.stringify(schemaCheck.errors)}`).toBe(true);
      expect(validatorAccepts(doc), name).toBe(true);
    }
  });

  /** Every invalid fixture, and whether the schema catches it too (or why it cannot). */
  const INVALID: Record<string, 'caught' | { miss: string } | 'syntax'> = {
    'bad_cron_field.toml': 'caught',
    'bad_timezone.toml': { miss: 'whether a name is an IANA zone depends on the runtime tz database' },
    'empty_cmd.toml': 'caught',
    'lifetime_string.toml': 'caught',
    'lifetime_too_long.toml': 'caught',
    'lifetime_zero.toml': 'caught',
    'many_problems.toml': 'caught',
    'minuet.toml': 'caught',
    'never_fires.toml': { miss: 'a cron pattern that matches no date (31 April) needs a calendar walk' },
    'nul_in_cmd.toml': 'caught',
    'step_single_value.toml': { miss: 'what "*/31" selects over days 1-31 is cron semantics, not shape' },
    'syntax_error.toml': 'syntax',
    'unknown_section.toml': 'caught',
  };

  it('lists every invalid fixture', async () => {
    expect((await readdir(join(FIXTURES, 'invalid'))).sort()).toEqual(Object.keys(INVALID).sort());
  });

  for (const [name, expected] of Object.entries(INVALID)) {
    it(`${name}: the validator refuses it; the schema ${expected === 'caught' ? 'too' : expected === 'syntax' ? 'never sees it (syntax error)' : 'cannot tell'}`, async () => {
      await expect(loadJobFile(join(FIXTURES, 'invalid', name))).rejects.toMatchObject({ code: 'INVALID_JOB' });
      if (expected === 'syntax') {
        await expect(parseFixture('invalid', name)).rejects.toMatchObject({ code: 'INVALID_JOB' });
        return;
      }
      const doc = await parseFixture('invalid', name);
      expect(validatorAccepts(doc)).toBe(false);
      expect(schemaAccepts(doc), JSON.stringify(schemaCheck.errors)).toBe(expected !== 'caught');
    });
  }
});

describe('the editor directives are comments to the loader', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mxx-schema-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('loads a TOML file whose first line is #:schema and a YAML file whose first line is # yaml-language-server', async () => {
    const toml = join(dir, 'with_schema.toml');
    await writeFile(toml, '#:schema /usr/lib/node_modules/mxx/schema/mxx-job.schema.json\n[os]\ncmd = "echo hi"\n\n[schedule]\nminute = 5\n');
    const yaml = join(dir, 'with_schema.yaml');
    await writeFile(yaml, '# yaml-language-server: $schema=/usr/lib/node_modules/mxx/schema/mxx-job.schema.json\nos:\n  cmd: echo hi\nschedule:\n  minutes: 5\n');
    expect((await loadJobFile(toml)).schedule?.trigger).toBe('cron');
    expect((await loadJobFile(yaml)).schedule?.trigger).toBe('interval');
  });
});

// ---- synthetic documents ----------------------------------------------------------------

const OS = { cmd: 'true' };
/** What a schedule key needs beside it to be judged on its own. */
function scheduleContext(key: string): Doc {
  if (['year', 'month', 'day', 'week', 'day_of_week', 'hour', 'minute', 'second'].includes(key)) return { trigger: 'cron' };
  if (['weeks', 'days', 'hours', 'minutes', 'seconds', 'interval_seconds'].includes(key)) return { trigger: 'interval' };
  if (key === 'run_date') return { trigger: 'date' };
  if (key === 'trigger') return { hour: 1 };
  if (key === 'cron') return {};
  return { trigger: 'interval', minutes: 5 }; // timezone, start_date, end_date, jitter
}
function withKey(path: string, value: unknown): Doc {
  const [section, key] = path.split('.') as [string, string];
  if (section === 'os') return { os: { ...OS, [key]: value } };
  if (section === 'schedule') return { os: OS, schedule: { ...scheduleContext(key), [key]: value } };
  return { os: OS, [section]: { [key]: value } };
}

const CMD = { good: ['echo hi', ['echo', 'hi'], ['ls']], bad: ['', '   ', [], [''], [' '], ['echo', 1], 5, 'a\0b', ['a', 'b\0'], { a: 1 }] };
const FUTURE = '2030-03-01T10:00:00';
const DATES = { good: ['2030-03-01', FUTURE, '2030-03-01T10:00:00+01:00', '2030-03-01 10:00Z', '2030-03-01T10:00:00.5-0330'], bad: ['tomorrow', '2030/03/01', '30-03-01', 20300301, '', true] };

/** For every key the validator knows: values both accept, values both refuse. */
const CASES: Record<string, { good: unknown[]; bad: unknown[] }> = {
  'lifetime.lifetime': { good: [1, 0.5, ONE_YEAR.value], bad: [0, -1, ONE_YEAR.value + 1, '60', true, [60]] },
  'lifetime.grace': { good: [0, 5, 0.25, ONE_YEAR.value], bad: [-1, ONE_YEAR.value + 1, '5', null] },
  'os.cmd': CMD,
  'os.cwd': { good: ['/tmp', 'relative/dir'], bad: ['', ' ', 5, 'a\0b', ['/tmp']] },
  'os.env': { good: [{}, { NAME: 'x', PORT: 8080, DEBUG: true, 'WITH SPACE': '' }], bad: ['NAME=x', { '': 'x' }, { 'A=B': 'x' }, { A: ['x'] }, { A: {} }, { A: 'x\0' }, { 'A\0': 'x' }, { A: null }] },
  'os.kill': { good: ['app', ['app', 'helper']], bad: ['', ' ', [], [''], 5, ['app', 2], 'a\0'] },
  'schedule.trigger': { good: ['cron'], bad: ['crn', 'CRON', 5, ''] },
  'schedule.timezone': { good: ['UTC', 'Europe/Berlin'], bad: ['', ' ', 5, 'Europe/Berlin\0'] },
  'schedule.start_date': DATES,
  'schedule.end_date': { good: DATES.good.map((d) => d.replace('2030', '2099')), bad: DATES.bad },
  'schedule.jitter': { good: [0, 1.5, ONE_YEAR.value], bad: [-1, ONE_YEAR.value + 1, '1'] },
  'schedule.cron': { good: ['*/5 * * * *', '0 */5 * * * *', '@daily', ' 0 3 * * mon-fri '], bad: ['', ' ', 5, '* * *', '* * * * * * *', ['*/5 * * * *']] },
  'schedule.year': { good: [2030, '2030-2040', '*'], bad: [1969, 10000, 2030.5, '', true] },
  'schedule.month': { good: [1, 12, 'jan', '*/3'], bad: [0, 13, 1.5, ''] },
  'schedule.day': { good: [1, 31, 'last', '1st mon'], bad: [0, 32, ' '] },
  'schedule.week': { good: [1, 52, '*/2'], bad: [0, 54] },
  'schedule.day_of_week': { good: [0, 6, 'mon-fri'], bad: [-1, 7, [1]] },
  'schedule.hour': { good: [0, 23, '*/2', '1-5', '1,3'], bad: [-1, 24, 1.5, '', null] },
  'schedule.minute': { good: [0, 59], bad: [-1, 60] },
  'schedule.second': { good: [0, 59], bad: [-1, 60] },
  'schedule.weeks': { good: [1, 0.5, 521], bad: [-1, 522, '1'] },
  'schedule.days': { good: [1, 3650], bad: [-1, 3651] },
  'schedule.hours': { good: [2, 87_600], bad: [-1, 87_601] },
  'schedule.minutes': { good: [5, 5_256_000], bad: [-1, 5_256_001, '5'] },
  'schedule.seconds': { good: [60, 0.5, TEN_YEARS.value], bad: [-1, TEN_YEARS.value + 1, false] },
  'schedule.interval_seconds': { good: [30], bad: [-30, TEN_YEARS.value + 1] },
  'schedule.run_date': { good: DATES.good, bad: DATES.bad },
  'policy.overlap': { good: ['skip', 'queue', 'replace', 'allow'], bad: ['skp', 'Skip', 1, ''] },
  'policy.max_instances': { good: [1, 10], bad: [0, 1.5, '1'] },
  'policy.retries': { good: [0, 3], bad: [-1, 0.5, '0'] },
  'policy.retry_delay': { good: [0, 2.5, ONE_YEAR.value], bad: [-1, ONE_YEAR.value + 1, '5'] },
  'policy.misfire_grace_time': { good: [0, 60, 1e9], bad: [-1, '60'] },
  'policy.history': { good: [1, 100], bad: [0, 1.5, '100'] },
  'policy.group': { good: ['backups'], bad: ['', ' ', 5, 'a\0'] },
  'notify.enabled': { good: [true, false], bad: ['yes', 1, null] },
  'notify.on': { good: ['failed', [], ['failed', 'recovered', 'failed'], ['started', 'completed', 'skipped', 'missed', 'cancelled', 'interrupted', 'timed_out']], bad: ['fail', ['failed', 'nope'], 5, [1], { failed: true }] },
  'notify.webhook': { good: ['https://hooks.example/mxx', 'http://127.0.0.1:9/hook?x=1', 'HTTPS://hooks.example'], bad: ['ftp://hooks.example', 'hooks.example', 'https://user:pw@hooks.example/', 'https://user@hooks.example', 5, '', ' '] },
  'notify.headers': { good: [{}, { Authorization: 'Bearer x', 'X-Dotted.Name': 'v' }], bad: ['x', { 'Bad Name': 'x' }, { A: 'x\ny' }, { A: 'x\0' }, { A: 5 }, { '': 'x' }] },
  'notify.cmd': CMD,
  'notify.lifetime': { good: [1, ONE_YEAR.value], bad: [0, ONE_YEAR.value + 1, '60'] },
};

describe('synthetic documents: schema and validator agree', () => {
  it('there are cases for every key the validator knows', () => {
    const known = [
      ...LIFETIME_KEYS.map((k) => `lifetime.${k}`),
      ...OS_KEYS.map((k) => `os.${k}`),
      ...SCHEDULE_KEYS.map((k) => `schedule.${k}`),
      ...POLICY_KEYS.map((k) => `policy.${k}`),
      ...NOTIFY_KEYS.map((k) => `notify.${k}`),
    ];
    expect(Object.keys(CASES).sort()).toEqual(known.sort());
  });

  for (const [path, { good, bad }] of Object.entries(CASES)) {
    it(`${path}: good values pass both, wrong types and out-of-range values fail both`, () => {
      for (const value of good) expect(verdicts(withKey(path, value)), `${path} = ${JSON.stringify(value)}`).toEqual({ schema: true, validator: true });
      for (const value of bad) expect(verdicts(withKey(path, value)), `${path} = ${JSON.stringify(value)}`).toEqual({ schema: false, validator: false });
    });
  }

  it('an unknown key in every section, and an unknown or non-table section, fail both', () => {
    const typos: Doc[] = [
      { os: OS, lifetime: { lifetim: 60 } },
      { os: { ...OS, cwdd: '/tmp' } },
      { os: OS, schedule: { trigger: 'cron', hour: 1, minuet: 5 } },
      { os: OS, policy: { overlapp: 'skip' } },
      { os: OS, notify: { webhok: 'https://hooks.example/mxx' } },
      { os: OS, shedule: { trigger: 'cron', hour: 1 } },
      { os: OS, $schema: './mxx-job.schema.json' },
      { os: OS, lifetime: 60 },
      { os: 'echo hi' },
      { os: OS, schedule: [] },
    ];
    for (const doc of typos) expect(verdicts(doc), JSON.stringify(doc)).toEqual({ schema: false, validator: false });
  });

  it('whole-document and schedule-shape rules agree', () => {
    const good: Doc[] = [
      { os: OS },
      { os: OS, schedule: { hour: 1 } },
      { os: OS, schedule: { minutes: 5, seconds: 30 } },
      { os: OS, schedule: { run_date: FUTURE } },
      { os: OS, schedule: { cron: '*/5 * * * *', timezone: 'UTC' } },
      { os: OS, schedule: { trigger: 'date', run_date: FUTURE, start_date: '2030-01-01', end_date: '2031-01-01', jitter: 1 } },
      { lifetime: { lifetime: 60, grace: 5 }, os: { cmd: ['sh', '-c', 'echo hi'], cwd: '/tmp', env: { A: 'b' }, kill: 'app' }, schedule: { trigger: 'cron', day_of_week: 'mon-fri', hour: 2 }, policy: { overlap: 'allow', max_instances: 2, retries: 1, retry_delay: 2, misfire_grace_time: 30, history: 20, group: 'g' }, notify: { enabled: true, on: ['failed'], webhook: 'https://hooks.example/mxx', headers: { Authorization: 'Bearer x' }, cmd: 'notify-send x', lifetime: 30 } },
    ];
    const bad: Doc[] = [
      {},
      { lifetime: { lifetime: 60 } },
      { os: {} },
      { os: OS, schedule: {} },
      { os: OS, schedule: { timezone: 'UTC' } },
      { os: OS, schedule: { trigger: 'cron' } },
      { os: OS, schedule: { trigger: 'interval' } },
      { os: OS, schedule: { trigger: 'date' } },
      { os: OS, schedule: { trigger: 'cron', minutes: 5 } },
      { os: OS, schedule: { trigger: 'interval', hour: 1 } },
      { os: OS, schedule: { trigger: 'interval', minutes: 5, run_date: FUTURE } },
      { os: OS, schedule: { trigger: 'date', run_date: FUTURE, cron: '* * * * *' } },
      { os: OS, schedule: { hour: 1, minutes: 5 } },
      { os: OS, schedule: { run_date: FUTURE, seconds: 5 } },
      { os: OS, schedule: { cron: '* * * * *', hour: 1 } },
      { os: OS, schedule: { trigger: 'cron', cron: '* * * * *', minute: 1 } },
    ];
    for (const doc of good) expect(verdicts(doc), JSON.stringify(doc)).toEqual({ schema: true, validator: true });
    for (const doc of bad) expect(verdicts(doc), JSON.stringify(doc)).toEqual({ schema: false, validator: false });
  });

  /**
   * What only the validator can tell. Listed so that a schema that starts catching one (or a
   * validator that stops refusing one) fails here and the list is brought up to date.
   */
  const KNOWN_MISSES: Record<string, Doc> = {
    'a time zone name the tz database does not know': withKey('schedule.timezone', 'Europe/Berlni'),
    'a cron expression whose fields are out of range': withKey('schedule.cron', '61 * * * *'),
    'an unknown cron nickname': withKey('schedule.cron', '@fortnightly'),
    'a cron pattern that never fires': withKey('schedule.cron', '0 0 31 4 *'),
    'a cron field string out of range': withKey('schedule.hour', '25'),
    'a cron field string the engine cannot read': withKey('schedule.day_of_week', 'mon-funday'),
    'a date whose month does not exist': withKey('schedule.run_date', '2030-13-01'),
    'an end_date before the start_date': { os: OS, schedule: { minutes: 5, start_date: '2031-01-01', end_date: '2030-01-01' } },
    'a run_date outside start_date … end_date': { os: OS, schedule: { run_date: FUTURE, end_date: '2030-01-01' } },
    'interval units that add up to more than ten years': { os: OS, schedule: { weeks: 521, days: 10 } },
    'an interval of zero': withKey('schedule.minutes', 0),
    'a webhook URL with no host': withKey('notify.webhook', 'http://'),
  };
  for (const [what, doc] of Object.entries(KNOWN_MISSES)) {
    it(`known miss: ${what} — the validator refuses it, the schema cannot tell`, () => {
      expect(verdicts(doc)).toEqual({ schema: true, validator: false });
    });
  }
});
