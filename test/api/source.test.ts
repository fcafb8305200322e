import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../_server.js';

/** The original records `source` as "api" or "config:<file name>"; the full path stays in `file`. */
describe('source on the wire', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ files: { 'daily_backup.toml': '[os]\ncmd = "true"\n' }, watch: false });
    await server.call('/jobs', { method: 'POST', json: { job_id: 'from_api', config: { os: { cmd: 'true' } } } });
  });
  afterAll(async () => {
    await server.dispose();
  });

  it('GET /registry/{id} says config:<file name> for a job file, with the full path in file', async () => {
    const { body } = await server.call('/registry/daily_backup');
    expect(body.source).toBe('config:daily_backup.toml');
    expect(body.file).toBe(join(server.jobsDir, 'daily_backup.toml'));
    const api = await server.call('/registry/from_api');
    expect(api.body.source).toBe('api');
    expect(api.body).not.toHaveProperty('file');
  });

  it('GET /registry lists the same sources', async () => {
    const { body } = await server.call('/registry');
    const sources = Object.fromEntries(body.jobs.map((e: any) => [e.job_id, e.source]));
    expect(sources).toEqual({ daily_backup: 'config:daily_backup.toml', from_api: 'api' });
  });

  it('GET /jobs/{id} shows the same source', async () => {
    expect((await server.call('/jobs/daily_backup')).body.source).toBe('config:daily_backup.toml');
    expect((await server.call('/jobs/from_api')).body.source).toBe('api');
  });

  it('GET /jobs shows the same source', async () => {
    const { body } = await server.call('/jobs');
    const sources = Object.fromEntries(body.jobs.map((j: any) => [j.job_id, j.source]));
    expect(sources).toEqual({ daily_backup: 'config:daily_backup.toml', from_api: 'api' });
  });

  it('keeps "file" in the stored registry entries (the file format does not change)', async () => {
    expect(server.supervisor.entry('daily_backup')).toMatchObject({ source: 'file' });
  });
});
