/**
 * The API during start-up (issue: a registration while the registry was still loading wiped it,
 * and a job that exists answered 404). Until the registry and the jobs folder are loaded, every
 * request gets 503 + Retry-After and /health says "starting".
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freeLocalPort } from '../../bench/lib/free-port.js';
import { killServerProcesses, request, startServerProcess } from '../_server-process.js';
import { createHome, waitFor } from '../_server.js';

afterAll(killServerProcesses);

describe('start-up gate', () => {
  it('never loses an acknowledged registration nor denies an existing job while loading', async () => {
    // Many job files make the loading window long enough to hit.
    const files: Record<string, string> = {};
    for (let i = 0; i < 400; i++) files[`file-${i}.toml`] = `[os]\ncmd = "true"\n[schedule]\ntrigger = "cron"\nhour = 3\n`;
    const home = await createHome(files);
    const port = await freeLocalPort();

    let server = startServerProcess(home, port);
    await waitFor(async () => (await request(port, 'GET', '/health'))?.status === 200, 20_000, 'first start');
    for (let i = 0; i < 50; i++) {
      const res = await request(port, 'POST', '/jobs', { job_id: `api-${i}`, config: { os: { cmd: 'true' } } });
      expect(res?.status).toBe(201);
    }
    await server.stop();

    // Restart and hammer the port from the first moment it accepts.
    server = startServerProcess(home, port);
    const acknowledged: string[] = [];
    const refusals: Array<{ status: number; retryAfter: string | null; code: string }> = [];
    let n = 0;
    let sawExistingJob = false;
    for (;;) {
      const [post, existing, health] = await Promise.all([
        request(port, 'POST', '/jobs', { job_id: `late-${n}`, config: { os: { cmd: 'true' } } }),
        request(port, 'GET', '/jobs/api-7'),
        request(port, 'GET', '/health'),
      ]);
      if (post) {
        if (post.status === 201) acknowledged.push(`late-${n}`);
        else refusals.push({ status: post.status, retryAfter: post.retryAfter, code: post.body?.code });
        n++;
      }
      if (existing) {
        // A job that exists is never reported missing: either 503 (starting) or 200.
        expect([200, 503]).toContain(existing.status);
        if (existing.status === 200) sawExistingJob = true;
      }
      if (health) {
        if (health.status === 503) expect(health.body.status).toBe('starting');
        if (health.status === 200 && sawExistingJob && acknowledged.length >= 3) break;
      }
    }
    for (const refusal of refusals) {
      expect(refusal).toEqual({ status: 503, retryAfter: expect.stringMatching(/^\d+$/), code: 'SERVER_STARTING' });
    }
    const registry = await request(port, 'GET', '/registry');
    expect(registry?.body.count).toBe(400 + 50 + acknowledged.length);
    await server.stop();

    // And the file on disk holds all of them after one more restart.
    server = startServerProcess(home, port);
    await waitFor(async () => (await request(port, 'GET', '/health'))?.status === 200, 20_000, 'third start');
    const after = await request(port, 'GET', '/registry');
    expect(after?.body.count).toBe(400 + 50 + acknowledged.length);
    await server.stop();
    // The registry on disk names every API job (the journal, if any, is replayed; the compacted file is JSON).
    const onDisk = readFileSync(join(home, 'server', 'registry.json'), 'utf8');
    expect(() => JSON.parse(onDisk)).not.toThrow();
  }, 120_000);
});
