import { cp, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MxxError } from '../../src/errors.js';
import { jobFileInfo, loadJobFile, parseJobText } from '../../src/job/load-file.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/jobs/', import.meta.url));
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mxx-job-files-'));
  await cp(FIXTURES, dir, { recursive: true });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function loadError(path: string): Promise<MxxError> {
  try {
    await loadJobFile(path);
  } catch (error) {
    expect(error).toBeInstanceOf(MxxError);
    return error as MxxError;
  }
  throw new Error(`expected ${path} to be rejected`);
}

function textError(text: string, format: 'toml' | 'yaml' | 'json', name: string): MxxError {
  try {
    parseJobText(text, format, name);
  } catch (error) {
    expect(error).toBeInstanceOf(MxxError);
    expect((error as MxxError).code).toBe('INVALID_JOB');
    return error as MxxError;
  }
  throw new Error('expected a syntax error');
}

describe('jobFileInfo', () => {
  it.each([
    ['/home/u/.mxx/jobs/daily.toml', { id: 'daily', format: 'toml' }],
    ['jobs/report.yaml', { id: 'report', format: 'yaml' }],
    ['report.yml', { id: 'report', format: 'yaml' }],
    ['hook.json', { id: 'hook', format: 'json' }],
    ['backup.v2.toml', { id: 'backup.v2', format: 'toml' }],
    ['Upper.TOML', { id: 'Upper', format: 'toml' }],
  ])('%s is a job file', (path, info) => {
    expect(jobFileInfo(path)).toEqual(info);
  });

  it.each(['x.template.toml', 'jobs/backup.template.yaml', '.hidden.toml', '.#daily.toml', 'daily.toml~', 'daily.toml.swp', 'notes.txt', 'README', 'daily.'])(
    '%s is ignored',
    (path) => {
      expect(jobFileInfo(path)).toBeNull();
    },
  );

  it('rejects a job file whose name is not a valid id', () => {
    expect(() => jobFileInfo('/jobs/my job.toml')).toThrowError(
      expect.objectContaining({ code: 'INVALID_JOB', message: 'my job.toml: the job id "my job" (the file name without its extension) is not valid' }),
    );
    expect(() => jobFileInfo('-x.json')).toThrowError(/-x\.json: the job id "-x"/);
  });
});

describe('parseJobText', () => {
  it('parses the three formats to the same document', () => {
    const toml = parseJobText('[os]\ncmd = "echo hi"\n[schedule]\nminutes = 5\n', 'toml', 'a.toml');
    const yaml = parseJobText('os:\n  cmd: echo hi\nschedule:\n  minutes: 5\n', 'yaml', 'a.yaml');
    const json = parseJobText('\ufeff{"os": {"cmd": "echo hi"}, "schedule": {"minutes": 5}}', 'json', 'a.json');
    expect(toml).toEqual({ os: { cmd: 'echo hi' }, schedule: { minutes: 5 } });
    expect(yaml).toEqual(toml);
    expect(json).toEqual(toml);
  });

  it('reads YAML with the 1.2 core schema: yes/no and dates stay strings', () => {
    expect(parseJobText('a: yes\nb: no\nc: 2026-01-01\nd: on\n', 'yaml', 'a.yaml')).toEqual({ a: 'yes', b: 'no', c: '2026-01-01', d: 'on' });
  });

  it('names file, line and column of a TOML syntax error', () => {
    const error = textError('[lifetime]\nlifetime = 60\n\n[os]\ncmd = = "x"\n', 'toml', 'daily.toml');
    expect(error.message).toBe('daily.toml:5:7: invalid value');
    expect(error.details).toEqual([{ path: '', message: 'invalid value', line: 5, column: 7 }]);
  });

  it('names line and column (1-based) of a YAML syntax error', () => {
    const error = textError('os:\n  cmd: x\n   bad: y\n', 'yaml', 'job.yaml');
    expect(error.message).toBe('job.yaml:3:7: bad indentation of a mapping entry');
    expect(error.details).toEqual([{ path: '', message: 'bad indentation of a mapping entry', line: 3, column: 7 }]);
  });

  it.each([
    ['{\n  "os": {"cmd": "x"},\n}', 'job.json:3:1: Expected double-quoted property name'],
    ['{\n  "os": tru}', 'job.json:2:12: Unexpected token \'}\''],
    ['{\n  "os": tru\n}', 'job.json:2:12: Unexpected token \'\\n\''],
    ['{\n  "os": x}', 'job.json:2:9: Unexpected token \'x\''],
    ['{"os": 1', 'job.json:1:9: Expected \',\' or \'}\' after property value'],
    ['', 'job.json:1:1: Unexpected end of JSON input'],
  ])('converts a JSON error position to line and column: %j', (text, message) => {
    expect(textError(text, 'json', 'job.json').message).toBe(message);
  });

  it('finds the position in JSON nested 50 000 deep (the scanner must not overflow the stack)', () => {
    const text = `{"os":\n${'['.repeat(50_000)}}`;
    expect(textError(text, 'json', 'job.json').message).toBe("job.json:2:50001: Unexpected token '}'");
  });
});

describe('loadJobFile on the fixtures', () => {
  it('loads every valid fixture, ignoring the template', async () => {
    const files = (await readdir(join(dir, 'valid'))).sort();
    const jobs = files.filter((f) => jobFileInfo(f) !== null);
    expect(files.filter((f) => !jobs.includes(f))).toEqual(['example.template.toml']);
    const defs = await Promise.all(jobs.map((f) => loadJobFile(join(dir, 'valid', f))));
    expect(defs.map((d) => [d.id, d.schedule?.trigger ?? 'on demand'])).toEqual([
      ['cron_weekly', 'cron'],
      ['custom_job', 'interval'],
      ['daily_backup', 'cron'],
      ['daily_backup_2am', 'cron'],
      ['generate_report', 'on demand'],
      ['health_check', 'interval'],
      ['interval_hours', 'interval'],
      ['interval_minutes', 'interval'],
      ['interval_seconds', 'interval'],
      ['manual_task', 'on demand'],
      ['my_job_1', 'cron'],
      ['test_job', 'interval'],
    ]);
  });

  it('reads the README daily backup exactly', async () => {
    const def = await loadJobFile(join(dir, 'valid', 'daily_backup.toml'));
    expect(def.lifetime).toEqual({ lifetime: 60, grace: 5 });
    expect(def.os).toEqual({ cmd: 'echo Daily backup started', env: {} });
    expect(def.schedule).toEqual({ trigger: 'cron', fields: { hour: 10, minute: 30 } });
    expect(def.scheduleDoc).toEqual({ trigger: 'cron', hour: 10, minute: 30 });
  });

  it('gives YAML, JSON and TOML of the same job the same definition', async () => {
    const yaml = await loadJobFile(join(dir, 'valid', 'test_job.yml'));
    const json = await loadJobFile(join(dir, 'valid', 'my_job_1.json'));
    expect(yaml.schedule).toEqual({ trigger: 'interval', interval_ms: 300_000 });
    expect(yaml.os.cmd).toBe('echo test');
    expect(json.schedule).toEqual((await loadJobFile(join(dir, 'valid', 'daily_backup.toml'))).schedule);
    expect(json.lifetime).toEqual({ lifetime: 3600, grace: 5 });
  });

  it.each([
    ['minuet.toml', ['minuet.toml: schedule.minuet is not a known key (did you mean "minute"?)']],
    ['syntax_error.toml', ['syntax_error.toml:5:7: invalid value']],
    ['lifetime_zero.toml', ['lifetime_zero.toml: lifetime.lifetime must be a number greater than 0, got 0']],
    ['lifetime_string.toml', ['lifetime_string.toml: lifetime.lifetime must be a number greater than 0, got "x"']],
    ['empty_cmd.toml', ['empty_cmd.toml: os.cmd must not be empty: give a command string, or a non-empty array of strings (run without a shell)']],
    ['unknown_section.toml', ['unknown_section.toml: shedule is not a known section (did you mean "schedule"?)']],
    ['bad_cron_field.toml', ['bad_cron_field.toml: schedule.hour must be 0-23 or a cron field ("*", "*/5", "1-5", "1,3"), got 25 (out of range 0-23)']],
    ['bad_timezone.toml', ['bad_timezone.toml: schedule.timezone must be an IANA time zone name such as "Europe/Berlin", got "Europe/Berlni"']],
    ['never_fires.toml', ['never_fires.toml: schedule.cron never fires: no date matches "0 0 31 4 *"']],
    [
      'step_single_value.toml',
      [
        'step_single_value.toml: schedule.day must be 1-31, "last", or "1st mon" … "5th sun", "last fri" or a cron field ("*", "*/5", "1-5", "1,3"), got "*/31" (the step 31 is larger than 1-31 spans (30), so it leaves only 1)',
      ],
    ],
    ['lifetime_too_long.toml', ['lifetime_too_long.toml: lifetime.lifetime must be at most 31536000 seconds (one year), got 1e+308']],
    ['nul_in_cmd.toml', ['nul_in_cmd.toml: os.cmd must not contain a NUL byte']],
    [
      'many_problems.toml',
      [
        'many_problems.toml: lifetime.lifetime must be a number greater than 0, got -1',
        'many_problems.toml: os.cmd must not be empty: give a command string, or a non-empty array of strings (run without a shell)',
        'many_problems.toml: schedule.minuet is not a known key (did you mean "minute"?)',
      ],
    ],
  ])('rejects invalid/%s', async (file, lines) => {
    const error = await loadError(join(dir, 'invalid', file));
    expect(error.code).toBe('INVALID_JOB');
    expect(error.message.split('\n')).toEqual(lines);
    expect((error.details as unknown[]).length).toBe(lines.length);
  });

  it('covers every invalid fixture', async () => {
    expect((await readdir(join(dir, 'invalid'))).length).toBe(13);
  });

  it('reads TOML dates as dates in the job timezone', async () => {
    const path = join(dir, 'once.toml');
    await writeFile(path, '[os]\ncmd = "x"\n[schedule]\nrun_date = 2026-06-01T12:00:00\ntimezone = "Europe/Berlin"\n');
    const def = await loadJobFile(path);
    expect(def.schedule).toEqual({ trigger: 'date', run_date: '2026-06-01T12:00:00.000', timezone: 'Europe/Berlin' });
    expect(def.scheduleDoc).toEqual({ run_date: '2026-06-01T12:00:00.000', timezone: 'Europe/Berlin' });
  });

  it('rejects a missing file and a non-job file', async () => {
    expect((await loadError(join(dir, 'nope.toml'))).message).toMatch(/^nope\.toml: cannot read the file: ENOENT/);
    expect((await loadError(join(dir, 'valid', 'example.template.toml'))).message).toBe('example.template.toml: not a job file');
  });
});
