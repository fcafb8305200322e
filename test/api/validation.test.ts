/**
 * Validation over real HTTP (issue #10 items 10–12): a deep body is a 400 naming the depth limit,
 * never a stack overflow; a job that can never run is refused at registration, not registered
 * as "scheduled" with next_run null.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectApiError, startTestServer, type TestServer } from '../_server.js';

/** Raw JSON text: a body JSON.stringify in the helper could not build (it recurses too). */
function deepBody(levels: number): string {
  return `{"job_id":"deep","config":{"os":{"cmd":"true","env":${'['.repeat(levels)}${']'.repeat(levels)}}}}`;
}

describe('validation over HTTP', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.dispose();
  });

  async function post(path: string, text: string) {
    const response = await server.api(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: text });
    return { status: response.status, body: (await response.json()) as any };
  }

  it('POST /jobs with JSON nested 50 000 deep is a 400 naming the depth limit', async () => {
    const { status, body } = await post('/jobs', deepBody(50_000));
    await expectApiError({ status, body }, 400, 'INVALID_JOB');
    expect(body.error).toMatch(/nested too deep: a job document may be at most 32 levels deep/);
    expect(server.logs()).not.toMatch(/Maximum call stack/);
    expect((await server.call('/jobs/deep')).status).toBe(404);
  });

  it('POST /validate with the same body answers valid: false naming the limit', async () => {
    const { status, body } = await post('/validate', deepBody(50_000).replace('"job_id":"deep",', ''));
    expect(status).toBe(200);
    expect(body.valid).toBe(false);
    expect(body.errors).toEqual([{ path: 'os.env[0][0]', message: 'is nested too deep: a job document may be at most 32 levels deep' }]);
  });

  it.each([
    [{ trigger: 'cron', cron: '0 0 31 4 *' }, 'request: schedule.cron never fires: no date matches "0 0 31 4 *"'],
    [{ trigger: 'cron', day: '*/31' }, 'request: schedule.day must be'],
    [{ trigger: 'date', run_date: '2020-01-01T00:00:00Z' }, 'request: schedule.run_date is in the past (2020-01-01T00:00:00Z)'],
    [{ trigger: 'interval', minutes: 5, end_date: '2020-01-01T00:00:00Z' }, 'request: schedule.end_date is in the past (2020-01-01T00:00:00Z)'],
    [{ trigger: 'interval', seconds: 1e13 }, 'request: schedule.seconds must be at most 315360000 seconds (ten years), got 10000000000000 seconds'],
  ])('POST /jobs refuses %j with a 400', async (schedule, message) => {
    const { status, body } = await server.call('/jobs', { method: 'POST', json: { job_id: 'never', config: { os: { cmd: 'true' } }, schedule } });
    await expectApiError({ status, body }, 400, 'INVALID_JOB');
    expect(body.error.startsWith(message)).toBe(true);
    expect((await server.call('/jobs/never')).status).toBe(404);
  });

  it('POST /jobs refuses lifetime = 1e308 and a NUL byte in cmd', async () => {
    const lifetime = await server.call('/jobs', { method: 'POST', json: { job_id: 'long', config: { lifetime: { lifetime: 1e308 }, os: { cmd: 'true' } } } });
    expect(lifetime.status).toBe(400);
    expect(lifetime.body.error).toBe('request: lifetime.lifetime must be at most 31536000 seconds (one year), got 1e+308');
    const nul = await server.call('/jobs', { method: 'POST', json: { job_id: 'nul', config: { os: { cmd: 'echo a\u0000b' } } } });
    expect(nul.status).toBe(400);
    expect(nul.body.error).toBe('request: os.cmd must not contain a NUL byte');
  });

  it('POST /jobs accepts a run_date a few seconds past, within misfire_grace_time', async () => {
    const runDate = new Date(Date.now() - 5_000).toISOString();
    const { status, body } = await server.call('/jobs', {
      method: 'POST',
      json: { job_id: 'just-missed', config: { os: { cmd: 'true' } }, schedule: { trigger: 'date', run_date: runDate } },
    });
    expect(status).toBe(201);
    expect(body.job_id).toBe('just-missed');
  });
});
