import { describe, expect, it } from 'vitest';
import { MxxError } from '../../src/errors.js';
import { parseJobRequest } from '../../src/job/parse.js';

function rejected(body: unknown): MxxError {
  try {
    parseJobRequest(body);
  } catch (error) {
    expect(error).toBeInstanceOf(MxxError);
    return error as MxxError;
  }
  throw new Error('expected the body to be rejected');
}

const config = { lifetime: { lifetime: 60 }, os: { cmd: 'echo hi' } };

describe('parseJobRequest', () => {
  it('parses the original README example', () => {
    const body = JSON.parse(
      '{"job_id":"my_job_1","config":{"lifetime":{"lifetime":3600},"os":{"cmd":"echo test"}},"schedule":{"trigger":"cron","hour":10,"minute":30},"replace_existing":false}',
    );
    const { definition, replaceExisting } = parseJobRequest(body);
    expect(replaceExisting).toBe(false);
    expect(definition).toEqual({
      id: 'my_job_1',
      lifetime: { lifetime: 3600, grace: 5 },
      os: { cmd: 'echo test', env: {} },
      schedule: { trigger: 'cron', fields: { hour: 10, minute: 30 } },
      policy: { overlap: 'skip', max_instances: 1, retries: 0, retry_delay: 5, misfire_grace_time: 60, history: 100 },
      config: { lifetime: { lifetime: 3600 }, os: { cmd: 'echo test' } },
      scheduleDoc: { trigger: 'cron', hour: 10, minute: 30 },
    });
  });

  it('accepts the schedule inside config, and no schedule (null) as on demand', () => {
    const inside = parseJobRequest({ job_id: 'a', config: { ...config, schedule: { minutes: 10 } }, replace_existing: true });
    expect(inside.definition.schedule).toEqual({ trigger: 'interval', interval_ms: 600_000 });
    expect(inside.definition.config).toEqual(config);
    expect(inside.replaceExisting).toBe(true);
    const onDemand = parseJobRequest({ job_id: 'b', config, schedule: null });
    expect(onDemand.definition.schedule).toBeUndefined();
    expect(onDemand.definition.scheduleDoc).toBeNull();
  });

  it('refuses a schedule given twice', () => {
    const error = rejected({ job_id: 'a', config: { ...config, schedule: { minutes: 1 } }, schedule: { minutes: 2 } });
    expect(error.code).toBe('INVALID_JOB');
    expect(error.message).toBe('request: schedule is given both beside config and inside it; give it once');
  });

  it.each([
    [null, 'request: the body must be a JSON object {job_id, config, schedule?, replace_existing?}, got null'],
    [[], 'request: the body must be a JSON object {job_id, config, schedule?, replace_existing?}, got an array'],
    [{ config }, 'request: job_id is required'],
    [{ job_id: 'my job', config }, 'request: job_id "my job" is not valid'],
    [{ job_id: '../etc', config }, 'request: job_id "../etc" is not valid'],
    [{ job_id: 5, config }, 'request: job_id 5 is not valid'],
    [{ job_id: 'a' }, 'request: config is required: the job\'s sections, e.g. {"os": {"cmd": "echo hi"}}'],
    [{ job_id: 'a', config: 'echo' }, 'request: config must be an object of sections (lifetime, os, schedule, policy, notify, placement), got "echo"'],
    [{ job_id: 'a', config, replace_existing: 'yes' }, 'request: replace_existing must be true or false, got "yes"'],
    [{ job_id: 'a', config, replace_exisitng: true }, 'request: replace_exisitng is not a known field (did you mean "replace_existing"?)'],
  ])('refuses a malformed body %j as INVALID_REQUEST', (body, message) => {
    const error = rejected(body);
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.message).toBe(message);
  });

  it('reports an invalid job as INVALID_JOB, messages starting with "request"', () => {
    const error = rejected({ job_id: 'a', config: { lifetime: { lifetime: 0 }, os: { cmd: 'x' } }, schedule: { trigger: 'cron', minuet: 5 } });
    expect(error.code).toBe('INVALID_JOB');
    expect(error.message.split('\n')).toEqual([
      'request: lifetime.lifetime must be a number greater than 0, got 0',
      'request: schedule.minuet is not a known key (did you mean "minute"?)',
    ]);
  });
});
