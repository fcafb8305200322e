/**
 * GET /jobs and GET /jobs/{id} say when a job's file failed to load after an edit (`load_error`,
 * with line and column for a syntax error): the job runs its last good definition meanwhile.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobListBody, JobStatusBody } from '../../src/api/types.js';
import { startTestServer, waitFor, type TestServer } from '../_server.js';

const GOOD = '[os]\ncmd = "echo good"\n\n[schedule]\ntrigger = "interval"\nminutes = 5\n';

let server: TestServer;
const file = (name: string): string => join(server.jobsDir, name);
const status = async (id: string): Promise<JobStatusBody> => (await server.call<JobStatusBody>(`/jobs/${id}`)).body;
const listed = async (id: string): Promise<JobStatusBody | undefined> =>
  (await server.call<JobListBody>('/jobs')).body.jobs.find((j) => j.job_id === id);

beforeAll(async () => {
  server = await startTestServer({ files: { 'fragile.toml': GOOD, 'steady.toml': GOOD } });
});
afterAll(async () => {
  await server.dispose();
});

describe('load_error on the job status', () => {
  it('is absent while the file loads', async () => {
    // Listed first, so a cached listing would have to be built again to show a later error.
    expect(await listed('fragile')).not.toHaveProperty('load_error');
    expect(await status('fragile')).not.toHaveProperty('load_error');
  });

  it('names the file, line and column of a syntax error, in the listing and the status', async () => {
    await writeFile(file('fragile.toml'), '[os]\ncmd = "echo broken\n');
    const item = await waitFor(async () => (await listed('fragile'))?.load_error, 5000, 'load_error in GET /jobs');
    expect(item).toEqual({
      file: file('fragile.toml'),
      error: expect.stringMatching(/^fragile\.toml:2:\d+: /),
      line: 2,
      column: expect.any(Number),
    });
    const one = await status('fragile');
    expect(one.load_error).toEqual(item);
    expect(item.error).toContain(`fragile.toml:${item.line}:${item.column}: `);
    // The last good definition keeps running.
    expect(one.scheduled).toBe(true);
    expect(await listed('steady')).not.toHaveProperty('load_error');
  });

  it('has no line for a validation error, whose message names the key', async () => {
    await writeFile(file('fragile.toml'), '[os]\ncmd = "echo x"\n\n[schedule]\ntrigger = "cron"\nminuet = 30\n');
    const error = await waitFor(async () => {
      const e = (await status('fragile')).load_error;
      return e && e.line === undefined ? e : undefined;
    }, 5000, 'a validation load_error');
    expect(error.file).toBe(file('fragile.toml'));
    expect(error.error).toMatch(/minuet.*minute/s);
    expect(error).not.toHaveProperty('column');
    expect((await listed('fragile'))?.load_error).toEqual(error);
  });

  it('is gone once the file is fixed', async () => {
    await writeFile(file('fragile.toml'), GOOD.replace('echo good', 'echo fixed'));
    await waitFor(async () => !('load_error' in (await status('fragile'))), 5000, 'load_error cleared');
    expect(await listed('fragile')).not.toHaveProperty('load_error');
  });
});
