/**
 * A full or read-only disk fails the runs and changes it touches, never the server (issue: an
 * ENOSPC from the log folder's mkdir inside a timer killed the process; a read-only disk left a
 * ghost run that blocked every later trigger). Real tmpfs, real server, real processes.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, waitFor, waitForRun, type TestServer } from '../_server.js';
import { mountTmpfs, type Tmpfs } from '../_tmpfs.js';

const mounted = await mountTmpfs();
const skipReason = typeof mounted === 'string' ? mounted : null;

describe.skipIf(skipReason !== null)(`disk faults${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  const fs = mounted as Tmpfs;
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ home: fs.dir, watch: false });
  });

  afterAll(async () => {
    await fs.free();
    await server?.close(); // not dispose(): the home is the mount point itself
    await fs.unmount();
  });

  it('a full disk fails the scheduled runs with the reason, keeps the server scheduling, and recovers', async () => {
    const reg = await server.call('/jobs', {
      method: 'POST',
      json: { job_id: 'tick', config: { os: { cmd: 'echo tick' }, schedule: { trigger: 'interval', seconds: 0.5 }, policy: { history: 1000 } } },
    });
    expect(reg.status).toBe(201);
    await fs.fill();
    // The job's log folder does not exist yet, and no inode is left to create it.
    const failed = await waitFor(
      async () => (await server.call('/jobs/tick/runs')).body.runs.find((r: any) => r.status === 'failed'),
      15_000,
      'a failed run on the full disk',
    );
    expect(failed.error).toMatch(/ENOSPC|no space/i);
    expect(server.logs()).toMatch(/WARN .*tick/);
    // Still answering, still scheduling.
    expect((await server.call('/health')).status).toBe(200);
    // A change that cannot be persisted is refused and not applied. (Large enough to need new
    // blocks: a small append can still fit in the journal's last, partly used page.)
    const big = { os: { cmd: 'true', env: { PAD: 'x'.repeat(64 * 1024) } } };
    const refused = await server.api('/jobs', { method: 'POST', json: { job_id: 'late', config: big } });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(((await refused.json()) as { code: string }).code).toBe('STORAGE_UNAVAILABLE');
    expect((await server.call('/jobs/late')).status).toBe(404);
    // Space returns: runs complete again without a restart.
    await fs.free();
    const ok = await waitFor(
      async () => (await server.call('/jobs/tick/runs')).body.runs.find((r: any) => r.status === 'completed'),
      15_000,
      'a completed run after space returned',
    );
    expect(ok.output_tail).toContain('tick');
    expect((await server.call('/jobs', { method: 'POST', json: { job_id: 'late', config: big } })).status).toBe(201);
    await server.call('/jobs/tick', { method: 'DELETE' });
  });

  it('a read-only disk fails a trigger cleanly: no ghost run, stop returns, the next trigger is accepted', async () => {
    expect((await server.call('/jobs', { method: 'POST', json: { job_id: 'ro', config: { os: { cmd: 'echo hi' } } } })).status).toBe(201);
    const logs = join(fs.dir, 'server', 'logs');
    fs.readOnlyDir(logs, true);
    try {
      const first = await server.call('/jobs/ro/trigger', { method: 'POST' });
      expect(first.status).toBe(200);
      const record = await waitForRun(server, first.body.run_id);
      expect(record.status).toBe('failed');
      // (Node reports EROFS of a recursive mkdir as ENOENT.)
      expect(record.error).toMatch(/could not create the log folder/);
      const stop = await server.call('/jobs/ro/stop', { method: 'POST' });
      expect(stop.status).toBe(200);
      const status = await server.call('/jobs/ro');
      expect(status.body.running).toBe(false);
      const second = await server.call('/jobs/ro/trigger', { method: 'POST' });
      expect(second.status).toBe(200);
      await waitForRun(server, second.body.run_id);
    } finally {
      fs.readOnlyDir(logs, false);
    }
  });
});
