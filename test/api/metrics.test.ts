/** GET /metrics (SPEC §11) of a real server with real runs, read with a Prometheus text parser. */
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { createMetrics } from '../../src/metrics/index.js';
import { parseProm, scrape, type Scrape } from '../_prom.js';
import { expectApiError, startTestServer, waitFor, waitForRun, type TestServer } from '../_server.js';

const PROMTOOL = spawnSync('promtool', ['--version']).status === 0;
/** What promtool's lint says of prom-client's default process metrics (gauges named *_total): not ours to rename. */
const PROM_CLIENT_LINT = /^nodejs_active_(handles|requests|resources)_total non-counter metrics should not have "_total" suffix$/;
const PER_JOB = [
  'mxx_runs_total',
  'mxx_run_duration_seconds_bucket',
  'mxx_run_duration_seconds_sum',
  'mxx_run_duration_seconds_count',
  'mxx_job_last_run_timestamp_seconds',
  'mxx_job_last_success_timestamp_seconds',
  'mxx_job_next_fire_timestamp_seconds',
];

async function register(server: TestServer, job_id: string, cmd: string, schedule?: Record<string, unknown>, replace = false): Promise<void> {
  const { status, body } = await server.call('/jobs', {
    method: 'POST',
    json: { job_id, config: { os: { cmd } }, ...(schedule ? { schedule } : {}), replace_existing: replace },
  });
  expect(status, JSON.stringify(body)).toBeLessThan(300);
}

async function run(server: TestServer, id: string): Promise<any> {
  const { status, body } = await server.call(`/jobs/${id}/trigger`, { method: 'POST' });
  expect(status, JSON.stringify(body)).toBeLessThan(300);
  return waitForRun(server, body.run_id);
}

/** A run record's end, as the timestamp gauges give it (seconds). */
const endOf = (record: { ended_at: string }): number => Date.parse(record.ended_at) / 1000;

const jobSeries = (metrics: Scrape, job: string) => metrics.samples.filter((s) => s.labels.job === job);

describe('GET /metrics', () => {
  let server: TestServer;
  const last: Record<string, any> = {};

  beforeAll(async () => {
    server = await startTestServer({
      files: { 'filejob.toml': '[os]\ncmd = "true"\n', 'bad-new.toml': '[os]\ncmd = 3\n' },
    });
    await register(server, 'ok', 'true');
    await register(server, 'bad', 'exit 3');
    await register(server, 'slow', 'sleep 1');
    await register(server, 'sched', 'true', { trigger: 'interval', hours: 1 });
    await register(server, 'paused', 'true', { trigger: 'interval', hours: 1 });
    expect((await server.call('/jobs/paused', { method: 'DELETE' })).status).toBe(200);

    await run(server, 'ok');
    await run(server, 'ok');
    // A scheduled fire two seconds late: the one observation of mxx_fire_lateness_seconds.
    const fired = server.supervisor.fire('ok', { trigger: 'schedule', scheduledAt: Date.now() - 2000, attempt: 0 });
    expect(fired.kind).toBe('started');
    last.ok = await waitForRun(server, (fired as { runId: string }).runId);
    await run(server, 'bad');
    last.bad = await run(server, 'bad');
    const { body: slow } = await server.call('/jobs/slow/trigger', { method: 'POST' });
    // A scheduled fire while slow runs: skipped by its overlap policy (the default, skip).
    expect(server.supervisor.fire('slow', { trigger: 'schedule', scheduledAt: Date.now(), attempt: 0 }).kind).toBe('skipped');
    last.slow = await waitForRun(server, slow.run_id);

    // filejob keeps its last good definition; bad-new never loaded.
    await writeFile(join(server.jobsDir, 'filejob.toml'), '[os]\ncmd = "true"\nlifetme = 3\n');
    await waitFor(async () => (await server.call('/registry/filejob')).body?.load_error, 5000, 'filejob load_error');
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it('counts ended, skipped and missed runs by job and status', async () => {
    const metrics = await scrape(server.url);
    expect(metrics.types.get('mxx_runs_total')).toBe('counter');
    const counts = (job: string) => Object.fromEntries(metrics.series('mxx_runs_total', { job }).map((s) => [s.labels.status, s.value]));
    expect(counts('ok')).toEqual({ completed: 3 });
    expect(counts('bad')).toEqual({ failed: 2 });
    expect(counts('slow')).toEqual({ completed: 1, skipped: 1 });
    expect(counts('sched')).toEqual({});
  });

  it('has a duration histogram per job and a lateness histogram of scheduled fires', async () => {
    const metrics = await scrape(server.url);
    expect(metrics.types.get('mxx_run_duration_seconds')).toBe('histogram');
    expect(metrics.value('mxx_run_duration_seconds_count', { job: 'ok' })).toBe(3);
    expect(metrics.value('mxx_run_duration_seconds_count', { job: 'bad' })).toBe(2);
    expect(metrics.value('mxx_run_duration_seconds_count', { job: 'slow' })).toBe(1);
    // slow sleeps a second: not in the 0.5 s bucket, in +Inf, and the sum holds at least that second.
    expect(metrics.value('mxx_run_duration_seconds_bucket', { job: 'slow', le: '0.5' })).toBe(0);
    expect(metrics.value('mxx_run_duration_seconds_bucket', { job: 'slow', le: '+Inf' })).toBe(1);
    expect(metrics.value('mxx_run_duration_seconds_sum', { job: 'slow' })).toBeGreaterThanOrEqual(last.slow.duration_ms / 1000 - 0.001);

    expect(metrics.types.get('mxx_fire_lateness_seconds')).toBe('histogram');
    // Only ok's late fire started: manual triggers and the skipped fire are not fires that started.
    expect(metrics.value('mxx_fire_lateness_seconds_count')).toBe(1);
    expect(metrics.value('mxx_fire_lateness_seconds_bucket', { le: '0.001' })).toBe(0);
    expect(metrics.value('mxx_fire_lateness_seconds_bucket', { le: '1' })).toBe(0);
    expect(metrics.value('mxx_fire_lateness_seconds_bucket', { le: '+Inf' })).toBe(1);
    const late = (Date.parse(last.ok.started_at) - Date.parse(last.ok.scheduled_at)) / 1000;
    expect(metrics.value('mxx_fire_lateness_seconds_sum')).toBeCloseTo(late, 6);
    expect(late).toBeGreaterThanOrEqual(2);
  });

  it('counts jobs by state (each once) and load errors as /health does', async () => {
    const metrics = await scrape(server.url);
    const jobs: Record<string, number> = Object.fromEntries(metrics.series('mxx_jobs').map((s) => [s.labels.state, s.value]));
    // filejob: broken (its file no longer loads; its last good definition runs on).
    expect(jobs).toEqual({ scheduled: 1, on_demand: 3, paused: 1, broken: 1 });
    const health = (await server.call('/health')).body;
    expect(Object.values(jobs).reduce((a, b) => a + b, 0)).toBe(health.jobs);
    expect(metrics.value('mxx_load_errors')).toBe(2);
    expect(health.load_errors).toBe(2);
  });

  it("has each job's last run (with its status), last success and next fire", async () => {
    const metrics = await scrape(server.url);
    expect(metrics.series('mxx_job_last_run_timestamp_seconds', { job: 'ok' })).toEqual([
      { name: 'mxx_job_last_run_timestamp_seconds', labels: { job: 'ok', status: 'completed' }, value: endOf(last.ok) },
    ]);
    expect(metrics.series('mxx_job_last_run_timestamp_seconds', { job: 'bad' })).toEqual([
      { name: 'mxx_job_last_run_timestamp_seconds', labels: { job: 'bad', status: 'failed' }, value: endOf(last.bad) },
    ]);
    // The skipped fire came after slow's run started: the last run is the one that ran.
    expect(metrics.value('mxx_job_last_run_timestamp_seconds', { job: 'slow', status: 'completed' })).toBe(endOf(last.slow));
    expect(metrics.series('mxx_job_last_run_timestamp_seconds', { job: 'sched' })).toEqual([]);

    expect(metrics.value('mxx_job_last_success_timestamp_seconds', { job: 'ok' })).toBe(endOf(last.ok));
    expect(metrics.value('mxx_job_last_success_timestamp_seconds', { job: 'bad' })).toBeUndefined();

    const sched = (await server.call('/jobs/sched')).body;
    expect(metrics.value('mxx_job_next_fire_timestamp_seconds', { job: 'sched' })).toBe(Date.parse(sched.next_run_time) / 1000);
    for (const job of ['paused', 'ok']) expect(metrics.value('mxx_job_next_fire_timestamp_seconds', { job })).toBeUndefined();
  });

  it("replaces a job's last-run series when its status changes, keeping the last success", async () => {
    await register(server, 'flip', 'true');
    onTestFinished(async () => void (await server.call('/registry/flip', { method: 'DELETE' })));
    const good = await run(server, 'flip');
    const before = await scrape(server.url);
    expect(before.series('mxx_job_last_run_timestamp_seconds', { job: 'flip' }).map((s) => s.labels.status)).toEqual(['completed']);
    await register(server, 'flip', 'exit 1', undefined, true);
    const failed = await run(server, 'flip');
    const after = await scrape(server.url);
    expect(after.series('mxx_job_last_run_timestamp_seconds', { job: 'flip' })).toEqual([
      {
        name: 'mxx_job_last_run_timestamp_seconds',
        labels: { job: 'flip', status: 'failed' },
        value: endOf(failed),
      },
    ]);
    expect(after.value('mxx_job_last_success_timestamp_seconds', { job: 'flip' })).toBe(endOf(good));
  });

  it("drops every series of a removed job, and a run that ends after the removal adds none", async () => {
    await register(server, 'gone', 'true', { trigger: 'interval', hours: 1 });
    await run(server, 'gone');
    const before = await scrape(server.url);
    expect(new Set(jobSeries(before, 'gone').map((s) => s.name))).toEqual(new Set(PER_JOB));

    await register(server, 'lingering', 'sleep 1');
    const { body: trig } = await server.call('/jobs/lingering/trigger', { method: 'POST' });
    expect((await server.call('/registry/gone', { method: 'DELETE' })).status).toBe(200);
    expect((await server.call('/registry/lingering', { method: 'DELETE' })).status).toBe(200);
    const ended = await waitForRun(server, trig.run_id);
    expect(ended.status).toBe('completed');
    const after = await scrape(server.url);
    expect(jobSeries(after, 'gone')).toEqual([]);
    expect(jobSeries(after, 'lingering')).toEqual([]);
  });

  it("follows a job's next fire from scrape to scrape: pause, resume, a new schedule, a fire", async () => {
    await register(server, 'moving', 'true', { trigger: 'interval', hours: 1 });
    onTestFinished(async () => void (await server.call('/registry/moving', { method: 'DELETE' })));
    const nextRun = async () => Date.parse((await server.call('/jobs/moving')).body.next_run_time) / 1000;
    const nextFire = async () => (await scrape(server.url)).value('mxx_job_next_fire_timestamp_seconds', { job: 'moving' });
    expect(await nextFire()).toBe(await nextRun());
    expect((await server.call('/jobs/moving', { method: 'DELETE' })).status).toBe(200);
    expect(await nextFire()).toBeUndefined();
    expect((await server.call('/jobs/moving/resume', { method: 'POST' })).status).toBe(200);
    expect(await nextFire()).toBe(await nextRun());
    await register(server, 'moving', 'true', { trigger: 'interval', hours: 2 }, true);
    const replaced = await nextRun();
    expect(await nextFire()).toBe(replaced);
  });

  it("follows a job's next fire as its schedule fires (a fire re-arms it: no event says so)", async () => {
    await register(server, 'ticking', 'true', { trigger: 'interval', seconds: 1 });
    onTestFinished(async () => void (await server.call('/registry/ticking', { method: 'DELETE' })));
    const nextRun = async () => Date.parse((await server.call('/jobs/ticking')).body.next_run_time) / 1000;
    const first = (await scrape(server.url)).value('mxx_job_next_fire_timestamp_seconds', { job: 'ticking' });
    expect(first).toBeGreaterThan(0);
    // A scrape between two reads of the job that agree (no fire in between) has their next fire.
    await waitFor(
      async () => {
        const before = await nextRun();
        const metrics = await scrape(server.url);
        const now = metrics.value('mxx_job_next_fire_timestamp_seconds', { job: 'ticking' });
        return before === (await nextRun()) && now === before && now! > first! && (metrics.value('mxx_runs_total', { job: 'ticking', status: 'completed' }) ?? 0) >= 1;
      },
      10_000,
      'a scrape with the fire after the one that ran',
    );
  });

  it("drops a job's last-run series when its run history is cleared", async () => {
    await register(server, 'cleared', 'true');
    onTestFinished(async () => void (await server.call('/registry/cleared', { method: 'DELETE' })));
    await run(server, 'cleared');
    expect((await scrape(server.url)).series('mxx_job_last_run_timestamp_seconds', { job: 'cleared' })).toHaveLength(1);
    expect((await server.call('/jobs/cleared/remove', { method: 'POST' })).status).toBe(200);
    const after = await scrape(server.url);
    expect(after.series('mxx_job_last_run_timestamp_seconds', { job: 'cleared' })).toEqual([]);
    expect(after.series('mxx_job_last_success_timestamp_seconds', { job: 'cleared' })).toEqual([]);
    // Counters count what happened: clearing the history does not take a run back.
    expect(after.value('mxx_runs_total', { job: 'cleared', status: 'completed' })).toBe(1);
  });

  it('has notification counters (TYPE counter) set from the notifier, and process metrics', async () => {
    const metrics = await scrape(server.url);
    expect(metrics.types.get('mxx_notifications_total')).toBe('counter');
    expect(metrics.series('mxx_notifications_total').map((s) => [s.labels.result, s.value])).toEqual([
      ['delivered', 0],
      ['failed', 0],
      ['retried', 0],
    ]);
    for (const name of ['process_cpu_user_seconds_total', 'process_start_time_seconds', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_seconds']) {
      expect(metrics.series(name), name).toHaveLength(1);
    }

    // A second registry on the same supervisor: its own series, no clash with the server's.
    const counts = { delivered: 4, failed: 1, retried: 2 };
    const own = createMetrics(server.supervisor, { notifications: { counts: () => counts } });
    try {
      const first = parseProm((await own.scrape()).body);
      expect(first.value('mxx_notifications_total', { result: 'delivered' })).toBe(4);
      counts.delivered = 6;
      const second = parseProm((await own.scrape()).body);
      expect(second.series('mxx_notifications_total').map((s) => s.value)).toEqual([6, 1, 2]);
      // Fed by events from its creation on: no run ended since, so no run counts yet.
      expect(second.series('mxx_runs_total')).toEqual([]);
      expect(second.value('mxx_jobs', { state: 'on_demand' })).toBe(3);
    } finally {
      own.close();
    }
  });

  it('answers concurrent scrapes alike, with the reads of the jobs spread over turns of the event loop', async () => {
    // One job read per turn: each scrape's pass yields between jobs, and the three overlap.
    const own = createMetrics(server.supervisor, { readsPerTurn: 1 });
    try {
      const expected = await scrape(server.url);
      const gauges = (metrics: Scrape) =>
        metrics.samples.filter((s) => s.name.startsWith('mxx_job_')).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
      expect(gauges(expected).length).toBeGreaterThan(5);
      const answers = await Promise.all([own.scrape(), own.scrape(), own.scrape()]);
      for (const { body } of answers) expect(gauges(parseProm(body))).toEqual(gauges(expected));
      const again = parseProm((await own.scrape()).body);
      expect(gauges(again)).toEqual(gauges(expected));
      expect(again.series('mxx_jobs')).toEqual(expected.series('mxx_jobs'));
    } finally {
      own.close();
    }
  });

  it.skipIf(!PROMTOOL)(
    `passes promtool check metrics${PROMTOOL ? '' : ' — SKIPPED: promtool is not installed (apt-get install -y prometheus)'}`,
    async () => {
      const { text } = await scrape(server.url);
      const check = (input: string) => {
        const out = spawnSync('promtool', ['check', 'metrics'], { input, encoding: 'utf8' });
        return { status: out.status, lines: (out.stdout + out.stderr).split('\n').filter(Boolean) };
      };
      // mxx's own families: clean.
      const own = text.split('\n\n').filter((family) => family.includes('# TYPE mxx_'));
      expect(own).toHaveLength(11);
      expect(check(own.join('\n\n') + '\n')).toEqual({ status: 0, lines: [] });
      // The whole scrape parses; prom-client's own gauges named *_total are its only lint findings.
      const whole = check(text);
      expect(whole.lines.filter((line) => !PROM_CLIENT_LINT.test(line))).toEqual([]);
      expect([0, 3]).toContain(whole.status);
    },
  );
});

describe('GET /metrics: runs in progress and waiting', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ maxConcurrency: 1 });
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it('counts running runs and runs waiting for a slot or behind their own run', async () => {
    const go = join(server.home, 'go');
    const { status } = await server.call('/jobs', {
      method: 'POST',
      json: { job_id: 'hold', config: { os: { cmd: `while [ ! -f '${go}' ]; do sleep 0.05; done` }, policy: { overlap: 'queue' } } },
    });
    expect(status).toBe(201);
    await register(server, 'other', 'sleep 30');
    const gauges = async () => {
      const metrics = await scrape(server.url);
      return { active: metrics.value('mxx_runs_active'), queued: metrics.value('mxx_runs_queued') };
    };
    expect(await gauges()).toEqual({ active: 0, queued: 0 });

    const first = (await server.call('/jobs/hold/trigger', { method: 'POST' })).body;
    const second = (await server.call('/jobs/hold/trigger', { method: 'POST' })).body;
    const other = (await server.call('/jobs/other/trigger', { method: 'POST' })).body;
    // hold runs; its second fire waits behind it (overlap = queue); other waits for the one slot.
    expect(await gauges()).toEqual({ active: 1, queued: 2 });
    expect((await server.call('/jobs/other/stop', { method: 'POST' })).status).toBe(200);
    expect((await waitForRun(server, other.run_id)).status).toBe('cancelled');
    expect(await gauges()).toEqual({ active: 1, queued: 1 });

    await writeFile(go, '');
    expect((await waitForRun(server, first.run_id)).status).toBe('completed');
    expect((await waitForRun(server, second.run_id)).status).toBe('completed');
    expect(await gauges()).toEqual({ active: 0, queued: 0 });
  });
});

describe('GET /metrics: guard and restart', () => {
  it('refuses a scrape without the token on a server that has one', async () => {
    const server = await startTestServer({ token: 'metrics-test-token-0123' });
    try {
      await expectApiError(await fetch(`${server.url}/metrics`), 401, 'UNAUTHORIZED');
      await expectApiError(await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer wrong' } }), 401, 'UNAUTHORIZED');
      const metrics = await scrape(server.url, { authorization: 'Bearer metrics-test-token-0123' });
      expect(metrics.value('mxx_jobs', { state: 'scheduled' })).toBe(0);
    } finally {
      await server.dispose();
    }
  });

  it('after a restart, takes the last run and last success from the run history', async () => {
    const first = await startTestServer();
    let second: TestServer | undefined;
    try {
      await register(first, 'flip', 'true');
      const good = await run(first, 'flip');
      await register(first, 'flip', 'exit 1', undefined, true);
      const failed = await run(first, 'flip');
      await first.close();
      second = await startTestServer({ home: first.home });
      const metrics = await scrape(second.url);
      expect(metrics.series('mxx_job_last_run_timestamp_seconds', { job: 'flip' })).toEqual([
        { name: 'mxx_job_last_run_timestamp_seconds', labels: { job: 'flip', status: 'failed' }, value: endOf(failed) },
      ]);
      expect(metrics.value('mxx_job_last_success_timestamp_seconds', { job: 'flip' })).toBe(endOf(good));
      // Counters start again with the process (Prometheus handles the reset).
      expect(metrics.series('mxx_runs_total', { job: 'flip' })).toEqual([]);
    } finally {
      await (second ?? first).dispose();
    }
  });
});
