/**
 * A job file whose change cannot be saved (read-only home) fails that file only: recorded as its
 * load error, logged once, no uncaught rejection from the watcher; the next change once the disk
 * is writable applies it. Real tmpfs home, real jobs folder, real watcher.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, waitFor, type TestServer } from '../_server.js';
import { mountTmpfs, type Tmpfs } from '../_tmpfs.js';

const mounted = await mountTmpfs();
const skipReason = typeof mounted === 'string' ? mounted : null;

describe.skipIf(skipReason !== null)(`job files on a read-only home${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  const fs = mounted as Tmpfs;
  let server: TestServer;
  let jobsDir: string;

  beforeAll(async () => {
    jobsDir = await mkdtemp(join(tmpdir(), 'mxx-jobs-'));
    await writeFile(join(jobsDir, 'stays.toml'), '[os]\ncmd = "echo stays"\n');
    server = await startTestServer({ home: fs.dir, jobsDir });
  });

  afterAll(async () => {
    fs.readOnly(false);
    // Not dispose(): it removes the home, which is the mount point itself.
    await server?.close();
    await fs.unmount();
    await rm(jobsDir, { recursive: true, force: true });
  });

  const status = async (id: string): Promise<number> => (await server.call(`/jobs/${id}`)).status;

  it('a new file and a deleted file fail alone while the registry cannot be written, and apply once it can', async () => {
    expect(await status('stays')).toBe(200);
    fs.readOnly(true);

    await writeFile(join(jobsDir, 'newbie.toml'), '[os]\ncmd = "echo new"\n');
    const health = await waitFor(async () => {
      const body = (await server.call('/health')).body;
      return body.load_error_files?.some((f: any) => f.file === join(jobsDir, 'newbie.toml')) ? body : null;
    }, 15_000, 'newbie.toml recorded as failed');
    const failure = health.load_error_files.find((f: any) => f.file === join(jobsDir, 'newbie.toml'));
    expect(failure.error).toMatch(/^newbie\.toml: job newbie could not be registered: /);
    expect(await status('newbie')).toBe(404);
    expect(server.logs().match(/ERROR .*newbie\.toml failed to load/g)).toHaveLength(1);

    await rm(join(jobsDir, 'stays.toml'));
    await waitFor(() => /stays\.toml removed, but job stays could not be unregistered/.test(server.logs()), 15_000, 'the unregister failure logged');
    expect(await status('stays')).toBe(200);
    expect((await server.call('/health')).status).toBe(200);

    // Once the disk takes writes again, both changes are applied by themselves: no file is touched.
    fs.readOnly(false);
    await waitFor(async () => (await status('newbie')) === 200, 15_000, 'newbie registered once writable');
    await waitFor(async () => (await status('stays')) === 404, 15_000, 'stays unregistered once writable');
    await waitFor(async () => !(await server.call('/health')).body.load_error_files?.length, 15_000, 'no load errors left');
    expect(server.logs()).toMatch(/newbie\.toml loads again/);
    expect(server.logs().match(/stays\.toml removed, but job stays could not be unregistered/g)).toHaveLength(1);
  });
});
