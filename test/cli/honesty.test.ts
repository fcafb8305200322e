/** The CLI says what happened in its own words: hints name its flags, a lost log is not an empty success. */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunsBody, TriggerBody } from '../../src/api/types.js';
import type { RunRecord } from '../../src/records.js';
import { api, createTempHome, liveChildren, runCli, startServerProcess, type CliResult, type ServerProcess, type TempHome } from '../_cli.js';
import { waitFor } from '../_server.js';

let home: TempHome;
let server: ServerProcess;

const mxx = (args: string[]): Promise<CliResult> => runCli([...args, '--server', server.url], { env: home.env, cwd: home.dir });

async function finishedRun(runId: string): Promise<RunRecord> {
  return waitFor(async () => {
    const run = await api<RunRecord>(server.url, `/runs/${runId}`);
    return run.status !== 'running' && run.status !== 'queued' ? run : undefined;
  }, 15_000, `run ${runId} to end`, 100);
}

async function trigger(jobId: string): Promise<RunRecord> {
  const r = await mxx(['trigger', jobId, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return finishedRun((JSON.parse(r.stdout) as TriggerBody).run_id);
}

const logFile = (run: RunRecord): string => join(home.dir, '.mxx', 'server', 'logs', run.job_id, `${run.run_id}.log`);

beforeAll(async () => {
  home = await createTempHome();
  await home.write('talker.toml', '[os]\ncmd = "echo said-by-talker"\n');
  await home.write('quiet.toml', '[os]\ncmd = "true"\n');
  server = await startServerProcess(home);
  for (const file of ['talker.toml', 'quiet.toml']) expect((await mxx(['register', file])).code).toBe(0);
});

afterAll(async () => {
  if (server) expect(await server.stop()).toBe(0);
  expect(liveChildren()).toBe(0);
  await home?.cleanup();
});

describe('hints name CLI flags, not API fields', () => {
  it('mxx register of an existing id hints --replace', async () => {
    const r = await mxx(['register', 'talker.toml']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Error: job talker already exists$/m);
    expect(r.stderr).toMatch(/^hint: pass --replace to replace its definition/m);
    expect(r.stderr).not.toContain('replace_existing');
  });

  it('mxx runs --limit out of the server\'s range names --limit', async () => {
    const r = await mxx(['runs', 'talker', '--limit', '1000000']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('--limit');
    expect(r.stderr).not.toContain('query parameter');
  });
});

describe('mxx logs when the log file is gone', () => {
  it('prints the output kept in the run record, with a note on stderr', async () => {
    const run = await trigger('talker');
    await rm(logFile(run));
    const r = await mxx(['logs', 'talker']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('said-by-talker\n');
    expect(r.stderr).toMatch(new RegExp(`^note: the log file of run ${run.run_id} is gone; this is the output kept in its run record \\(last \\d+ (bytes|KB)\\)$`, 'm'));
  });

  it('--follow on an ended run falls back the same way', async () => {
    const run = await trigger('talker');
    await rm(logFile(run));
    const r = await mxx(['logs', 'talker', '--run', run.run_id, '--follow']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('said-by-talker\n');
    expect(r.stderr).toContain(`note: the log file of run ${run.run_id} is gone`);
  });

  it('says the log is gone and exits 1 when no output was kept either', async () => {
    const run = await trigger('quiet');
    await rm(logFile(run));
    const r = await mxx(['logs', 'quiet']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^Error: .*${run.run_id}`, 'm'));
  });

  it('a run after mxx remove still shows its output', async () => {
    expect((await mxx(['remove', 'talker'])).code).toBe(0);
    const run = await trigger('talker');
    const r = await mxx(['logs', 'talker', '--run', run.run_id]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('said-by-talker\n');
  });

  it('an empty log of a run that printed nothing is an empty success', async () => {
    const run = await trigger('quiet');
    const r = await mxx(['logs', 'quiet', '--run', run.run_id]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('');
    expect((await api<RunsBody>(server.url, '/jobs/quiet/runs')).runs[0]?.run_id).toBe(run.run_id);
  });
});

describe('mxx health and the jobs folder', () => {
  it('says when the jobs folder is missing and not watched, and when it is back (skips on a server whose /health has no jobs_folder)', async (ctx) => {
    const before = await api<Record<string, unknown>>(server.url, '/health');
    // The field comes from src/api/health.ts (the watcher's state()); older servers do not send it.
    if (!('jobs_folder' in before)) ctx.skip('skipped: this server\'s /health has no jobs_folder field yet');
    const jobsDir = join(home.dir, '.mxx', 'jobs');
    await rm(jobsDir, { recursive: true, force: true });
    const missing = await waitFor(async () => {
      const r = await mxx(['health']);
      return /jobs folder:.*was removed.*not seen/.test(r.stdout) ? r : undefined;
    }, 15_000, 'health to report the missing folder', 100);
    expect(missing.code).toBe(0);
    await mkdir(jobsDir);
    await waitFor(async () => {
      const r = await mxx(['health']);
      return new RegExp(`jobs folder:\\s+${jobsDir}$`, 'm').test(r.stdout) ? r : undefined;
    }, 15_000, 'health to report the folder watched again', 100);
  });
});
