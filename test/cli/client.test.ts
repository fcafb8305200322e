/** Every client command against a real server (`mxx server --port 0` in a subprocess, temporary HOME). */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobListBody, RunsBody } from '../../src/api/types.js';
import type { RunRecord } from '../../src/records.js';
import { ANSI, api, createTempHome, liveChildren, runCli, startServerProcess, type CliResult, type ServerProcess, type TempHome } from '../_cli.js';
import { waitFor } from '../_server.js';

const INTERVAL_TOML = `[lifetime]
lifetime = 60

[os]
cmd = "echo every five"

[schedule]
trigger = "interval"
minutes = 5
`;

const ON_DEMAND_TOML = `[lifetime]
lifetime = 30

[os]
cmd = "echo hello-from-mxx"
`;

let home: TempHome;
let server: ServerProcess;

/** `mxx ...args --server <url>` with the temporary HOME. */
const mxx = (args: string[], bin: 'mxx' | 'mxx-client' = 'mxx'): Promise<CliResult> =>
  runCli([...args, '--server', server.url], { bin, env: home.env, cwd: home.dir });

async function waitForRun(jobId: string, done = true): Promise<RunRecord> {
  return waitFor(async () => {
    const { runs } = await api<RunsBody>(server.url, `/jobs/${jobId}/runs`);
    const run = runs[0];
    return run && (!done || (run.status !== 'running' && run.status !== 'queued')) ? run : undefined;
  }, 15_000, `a finished run of ${jobId}`, 100);
}

beforeAll(async () => {
  home = await createTempHome();
  await home.write('example_config.toml', INTERVAL_TOML);
  await home.write('manual_task.toml', ON_DEMAND_TOML);
  // A job file that fails to load: health must report it.
  await mkdir(join(home.dir, '.mxx', 'jobs'), { recursive: true });
  await writeFile(join(home.dir, '.mxx', 'jobs', 'broken.toml'), '[os]\ncmd = "echo x"\n[schedule]\ntrigger = "cron"\nminuet = 5\n');
  server = await startServerProcess(home);
});

afterAll(async () => {
  if (server) expect(await server.stop()).toBe(0);
  expect(liveChildren()).toBe(0);
  await home?.cleanup();
});

describe('original README command lines', () => {
  it('mxx-client --server <url> health', async () => {
    const r = await runCli(['--server', server.url, 'health'], { bin: 'mxx-client', env: home.env });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('healthy');
    expect(r.stdout).toContain('mxx-scheduler');
    expect(r.stdout).toMatch(/load errors:\s+1/);
    expect(r.stdout).toContain('minuet');
  });

  it('mxx-client register --job-id my_job example_config.toml', async () => {
    const r = await mxx(['register', '--job-id', 'my_job', 'example_config.toml'], 'mxx-client');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('my_job');
  });

  it('mxx-client list shows the id, the schedule in words and the next run', async () => {
    const r = await mxx(['list'], 'mxx-client');
    expect(r.code).toBe(0);
    const line = r.stdout.split('\n').find((l) => l.startsWith('my_job'));
    expect(line).toBeDefined();
    expect(line).toContain('every 5 minutes');
    expect(line).toMatch(/in 4m \d\ds \(\d{4}-\d\d-\d\d \d\d:\d\d\)|in 5m 00s/);
    expect(line).toContain('pending');
  });

  it('mxx-client list --type active', async () => {
    const r = await mxx(['list', '--type', 'active'], 'mxx-client');
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('my_job');
  });

  it('mxx-client registry --type on_demand', async () => {
    await mxx(['register', 'manual_task.toml']);
    const r = await mxx(['registry', '--type', 'on_demand'], 'mxx-client');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('manual_task');
    expect(r.stdout).toContain('on demand');
    expect(r.stdout).not.toContain('my_job');
  });

  it('mxx-client status / info', async () => {
    const status = await mxx(['status', 'my_job'], 'mxx-client');
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('every 5 minutes');
    const info = await mxx(['info', 'my_job'], 'mxx-client');
    expect(info.code).toBe(0);
    expect(info.stdout).toContain('echo every five');
  });
});

describe('register', () => {
  it('refuses an existing id, then replaces it with --replace', async () => {
    const again = await mxx(['register', '--job-id', 'my_job', 'example_config.toml']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^Error: .*my_job/m);
    const replaced = await mxx(['register', '--job-id', 'my_job', '--replace', 'example_config.toml']);
    expect(replaced.code).toBe(0);
  });

  it('reads YAML and JSON files and prints the API answer with --json', async () => {
    await home.write('yaml_job.yaml', 'os:\n  cmd: echo yaml\nschedule:\n  trigger: cron\n  hour: 2\n  day_of_week: 0\n');
    await home.write('json_job.json', JSON.stringify({ os: { cmd: 'echo json' } }));
    const yaml = await mxx(['register', 'yaml_job.yaml', '--json']);
    expect(yaml.code).toBe(0);
    expect(JSON.parse(yaml.stdout)).toMatchObject({ job_id: 'yaml_job', status: 'scheduled' });
    expect((await mxx(['register', 'json_job.json'])).stdout).toContain('on demand');
    const line = (await mxx(['list'])).stdout.split('\n').find((l) => l.startsWith('yaml_job'));
    expect(line).toContain('at 02:00 on Mon');
  });

  it('refuses a file that is not TOML, YAML or JSON', async () => {
    await home.write('notes.txt', 'hello');
    const r = await mxx(['register', 'notes.txt']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('.toml');
  });

  it('reports the server\'s validation problems', async () => {
    await home.write('bad_job.toml', '[os]\ncmd = "echo x"\n\n[schedule]\ntrigger = "cron"\nminuet = 5\n');
    const r = await mxx(['register', 'bad_job.toml']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('minuet');
  });
});

describe('trigger, runs, logs', () => {
  it('runs an on-demand job and shows its history and output', async () => {
    const trigger = await mxx(['trigger', 'manual_task']);
    expect(trigger.stderr).toBe('');
    expect(trigger.code).toBe(0);
    expect(trigger.stdout).toContain('triggered');
    const run = await waitForRun('manual_task');
    expect(run.status).toBe('completed');

    const runs = await mxx(['runs', 'manual_task']);
    expect(runs.code).toBe(0);
    expect(runs.stdout).toMatch(/^RUN\s+TRIGGER\s+STARTED\s+DURATION\s+STATUS\s+EXIT$/m);
    const row = runs.stdout.split('\n').find((l) => l.startsWith(run.run_id));
    expect(row).toMatch(/manual\s+.*completed\s+0$/);

    const logs = await mxx(['logs', 'manual_task']);
    expect(logs.code).toBe(0);
    expect(logs.stdout).toContain('hello-from-mxx');
    const byRun = await mxx(['logs', 'manual_task', '--run', run.run_id]);
    expect(byRun.stdout).toContain('hello-from-mxx');
  });

  it('follows a run\'s output until it ends', async () => {
    await home.write('slow_echo.toml', '[os]\ncmd = "echo first; sleep 1; echo second"\n');
    expect((await mxx(['register', 'slow_echo.toml'])).code).toBe(0);
    expect((await mxx(['trigger', 'slow_echo'])).code).toBe(0);
    await waitForRun('slow_echo', false);
    const follow = await mxx(['logs', 'slow_echo', '--follow']);
    expect(follow.code).toBe(0);
    expect(follow.stdout).toContain('first');
    expect(follow.stdout).toContain('second');
  });

  it('says when a job has no runs yet', async () => {
    const r = await mxx(['logs', 'my_job']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no runs');
    const runs = await mxx(['runs', 'my_job']);
    expect(runs.code).toBe(0);
    expect(runs.stdout).toContain('no runs');
  });
});

describe('schedule control', () => {
  it('next, cancel, resume', async () => {
    const next = await mxx(['next', 'my_job', '-n', '3']);
    expect(next.code).toBe(0);
    expect(next.stdout.trim().split('\n')).toHaveLength(3);

    const cancel = await mxx(['cancel', 'my_job']);
    expect(cancel.code).toBe(0);
    expect((await mxx(['list', '--type', 'scheduled'])).stdout).not.toContain('my_job');
    expect((await mxx(['status', 'my_job'])).stdout).toContain('cancelled');

    const resume = await mxx(['resume', 'my_job']);
    expect(resume.code).toBe(0);
    expect((await mxx(['list', '--type', 'scheduled'])).stdout).toContain('my_job');
  });

  it('stop and remove answer with a message', async () => {
    const stop = await mxx(['stop', 'manual_task']);
    expect(stop.code).toBe(0);
    const remove = await mxx(['remove', 'manual_task']);
    expect(remove.code).toBe(0);
    expect(remove.stdout.trim()).not.toBe('');
  });

  it('unregister removes the job', async () => {
    await home.write('short_lived.toml', ON_DEMAND_TOML);
    expect((await mxx(['register', 'short_lived.toml'])).code).toBe(0);
    const r = await mxx(['unregister', 'short_lived']);
    expect(r.code).toBe(0);
    expect((await mxx(['status', 'short_lived'])).code).toBe(1);
  });
});

describe('--json', () => {
  it.each([
    [['list'], '/jobs'],
    [['registry', '--type', 'on_demand'], '/registry?type=on_demand'],
    [['info', 'my_job'], '/registry/my_job'],
    [['status', 'my_job'], '/jobs/my_job'],
    [['runs', 'manual_task'], '/jobs/manual_task/runs'],
  ])('mxx %j --json equals GET %s', async (args, path) => {
    const r = await mxx([...args, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(await api(server.url, path));
  });

  it('works before the command too', async () => {
    const r = await runCli(['--json', '--server', server.url, 'list'], { bin: 'mxx-client', env: home.env });
    const body = JSON.parse(r.stdout) as JobListBody;
    expect(body.jobs.map((j) => j.job_id)).toContain('my_job');
  });
});

describe('errors', () => {
  it('an unknown id exits 1 with the server\'s message', async () => {
    for (const args of [['status', 'nope'], ['trigger', 'nope'], ['info', 'nope'], ['runs', 'nope']]) {
      const r = await mxx(args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(/^Error: .*nope/m);
      expect(r.stdout).toBe('');
    }
  });

  it('prints no colour codes when piped', async () => {
    for (const args of [['list'], ['runs', 'manual_task'], ['status', 'manual_task'], ['status', 'nope']]) {
      const r = await mxx(args);
      expect(r.stdout + r.stderr).not.toMatch(ANSI);
    }
  });
});

describe('mxx-server', () => {
  it('passes its options to the server; the client sends MXX_API_TOKEN', async () => {
    const other = await createTempHome();
    const s = await startServerProcess(other, { bin: 'mxx-server', args: ['--token', 's3cret'] });
    try {
      const without = await runCli(['health', '--server', s.url], { env: other.env });
      expect(without.code).toBe(1);
      expect(without.stderr).toMatch(/^Error: .*token/m);
      expect(without.stderr).toContain('MXX_API_TOKEN');
      const withToken = await runCli(['health', '--server', s.url], { env: { ...other.env, MXX_API_TOKEN: 's3cret' } });
      expect(withToken.code).toBe(0);
    } finally {
      expect(await s.stop()).toBe(0);
      await other.cleanup();
    }
  });
});
