/**
 * Honest listings: a job whose file failed to load after an edit is marked in `mxx list` (it runs
 * its last good definition), `mxx status` shows the error with file:line:column, `mxx health`
 * lists the broken files, and fixing the file clears all of it. Real server process, real files.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealthBody, JobListBody, JobStatusBody } from '../../src/api/types.js';
import { api, createTempHome, liveChildren, runCli, startServerProcess, type CliResult, type ServerProcess, type TempHome } from '../_cli.js';
import { waitFor } from '../_server.js';

const GOOD = '[os]\ncmd = "echo good"\n\n[schedule]\ntrigger = "interval"\nminutes = 5\n';
const FOOTNOTE = '! the file of this job failed to load; it runs its last good definition — mxx status ID shows why';

let home: TempHome;
let server: ServerProcess;
let jobsDir: string;
const file = (name: string): string => join(jobsDir, name);
const mxx = (args: string[]): Promise<CliResult> => runCli([...args, '--server', server.url], { env: home.env });
const jobOf = async (id: string): Promise<JobStatusBody> => api<JobStatusBody>(server.url, `/jobs/${id}`);
const rowOf = (out: string, id: string): string | undefined => out.split('\n').find((line) => line.startsWith(`${id} `) || line.startsWith(`${id}! `));

beforeAll(async () => {
  home = await createTempHome();
  jobsDir = join(home.dir, '.mxx', 'jobs');
  await mkdir(jobsDir, { recursive: true });
  await writeFile(file('fragile.toml'), GOOD);
  await writeFile(file('steady.toml'), GOOD);
  server = await startServerProcess(home);
});

afterAll(async () => {
  if (server) expect(await server.stop()).toBe(0);
  expect(liveChildren()).toBe(0);
  await home?.cleanup();
});

describe('a job whose file loads', () => {
  it('has no marker and no footnote', async () => {
    const r = await mxx(['list']);
    expect(r.code, r.stderr).toBe(0);
    expect(rowOf(r.stdout, 'fragile')).toMatch(/^fragile\s/);
    expect(r.stdout).not.toContain('!');
  });
});

describe('a job edited into a broken state', () => {
  let column = 0;

  beforeAll(async () => {
    await writeFile(file('fragile.toml'), '[os]\ncmd = "echo broken\n');
    const error = await waitFor(async () => (await jobOf('fragile')).load_error, 5000, 'fragile load_error');
    column = error.column ?? 0;
  });

  it('is marked in mxx list, with the footnote under the table', async () => {
    const r = await mxx(['list']);
    expect(r.code, r.stderr).toBe(0);
    expect(rowOf(r.stdout, 'fragile')).toMatch(/^fragile!\s+every 5 minutes\s/);
    expect(rowOf(r.stdout, 'steady')).toMatch(/^steady\s/);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toContain(FOOTNOTE);
    expect(lines.indexOf(FOOTNOTE)).toBeGreaterThan(lines.findIndex((l) => l.startsWith('steady')));
  });

  it('carries load_error in mxx list --json', async () => {
    const r = await mxx(['list', '--json']);
    expect(r.code).toBe(0);
    const body = JSON.parse(r.stdout) as JobListBody;
    const fragile = body.jobs.find((j) => j.job_id === 'fragile');
    expect(fragile?.load_error).toMatchObject({ file: file('fragile.toml'), line: 2, column });
    expect(body.jobs.find((j) => j.job_id === 'steady')).not.toHaveProperty('load_error');
  });

  it('mxx status shows the load error as file:line:column: message', async () => {
    const r = await mxx(['status', 'fragile']);
    expect(r.code, r.stderr).toBe(0);
    const line = r.stdout.split('\n').find((l) => l.startsWith('load error:'));
    expect(line).toBeDefined();
    expect(line).toContain(`${file('fragile.toml')}:2:${column}: `);
    // The message once, not again after the location.
    expect(line!.split('fragile.toml:2:')).toHaveLength(2);
    expect(r.stdout).toMatch(/last good definition/);
    expect(r.stdout).toMatch(/^status:\s/m);
  });

  it('mxx status --json has the field', async () => {
    const r = await mxx(['status', 'fragile', '--json']);
    expect((JSON.parse(r.stdout) as JobStatusBody).load_error?.line).toBe(2);
  });

  it('mxx health lists the broken file with its error', async () => {
    const r = await mxx(['health']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^load errors:\s+1$/m);
    expect(r.stdout).toContain(`  ${file('fragile.toml')}:2:${column}: `);
  });

  it('a new broken file that defines no job is listed under the table', async () => {
    await writeFile(file('newbie.toml'), '[os]\ncmd = "true"\n\n[schedule]\ntrigger = "cron"\nminuet = 30\n');
    await waitFor(async () => (await api<HealthBody>(server.url, '/health')).load_errors === 2, 5000, 'newbie refused');
    const r = await mxx(['list']);
    expect(r.code).toBe(0);
    expect(rowOf(r.stdout, 'newbie')).toBeUndefined();
    const after = r.stdout.slice(r.stdout.indexOf(FOOTNOTE));
    expect(after).toMatch(/failed to load and define no job/);
    expect(after).toContain(`${file('newbie.toml')}: schedule.minuet is not a known key`);
    // The job with a last good definition is not listed again among them.
    expect(after).not.toContain(`${file('fragile.toml')}:`);
    const health = await mxx(['health']);
    expect(health.stdout).toContain(`  ${file('newbie.toml')}: schedule.minuet`);
    await rm(file('newbie.toml'));
    await waitFor(async () => (await api<HealthBody>(server.url, '/health')).load_errors === 1, 5000, 'newbie gone');
  });
});

describe('fixing the file', () => {
  it('clears the marker, the footnote, the status line and the health entry', async () => {
    await writeFile(file('fragile.toml'), GOOD.replace('echo good', 'echo fixed'));
    await waitFor(async () => !('load_error' in (await jobOf('fragile'))), 5000, 'fragile fixed');
    const list = await mxx(['list']);
    expect(rowOf(list.stdout, 'fragile')).toMatch(/^fragile\s/);
    expect(list.stdout).not.toContain('!');
    const status = await mxx(['status', 'fragile']);
    expect(status.stdout).not.toMatch(/^load error:/m);
    const health = await mxx(['health']);
    expect(health.stdout).toMatch(/^load errors:\s+0$/m);
    expect(health.stdout).not.toContain('fragile.toml');
  });
});
