/**
 * The API during start-up (issue: a registration while the registry was still loading wiped it,
 * and a job that exists answered 404). Until the registry and the jobs folder are loaded, every
 * request gets 503 + Retry-After and /health says "starting".
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createHome, waitFor } from '../_server.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SERVER_BIN = join(ROOT, 'dist', 'cli', 'bin', 'mxx-server.js');
const children = new Set<ChildProcess>();

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address ? address.port : 0;
}

function startServerProcess(home: string, port: number): { child: ChildProcess; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [SERVER_BIN, '--port', String(port)], {
    env: { ...process.env, HOME: home, MXX_HOME: home },
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  children.add(child);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      children.delete(child);
      resolve(code);
    }),
  );
  return { child, exited };
}

async function request(port: number, method: string, path: string, json?: unknown): Promise<{ status: number; body: any; retryAfter: string | null } | null> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/api/scheduler${path}`, {
      method,
      ...(json === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(json) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, retryAfter: res.headers.get('retry-after') };
  } catch {
    return null; // not listening yet
  }
}

async function stop(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  child.kill('SIGTERM');
  await exited;
}

describe('start-up gate', () => {
  it('never loses an acknowledged registration nor denies an existing job while loading', async () => {
    // Many job files make the loading window long enough to hit.
    const files: Record<string, string> = {};
    for (let i = 0; i < 400; i++) files[`file-${i}.toml`] = `[os]\ncmd = "true"\n[schedule]\ntrigger = "cron"\nhour = 3\n`;
    const home = await createHome(files);
    const port = await freePort();

    let server = startServerProcess(home, port);
    await waitFor(async () => (await request(port, 'GET', '/health'))?.status === 200, 20_000, 'first start');
    for (let i = 0; i < 50; i++) {
      const res = await request(port, 'POST', '/jobs', { job_id: `api-${i}`, config: { os: { cmd: 'true' } } });
      expect(res?.status).toBe(201);
    }
    await stop(server.child, server.exited);

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
    await stop(server.child, server.exited);

    // And the file on disk holds all of them after one more restart.
    server = startServerProcess(home, port);
    await waitFor(async () => (await request(port, 'GET', '/health'))?.status === 200, 20_000, 'third start');
    const after = await request(port, 'GET', '/registry');
    expect(after?.body.count).toBe(400 + 50 + acknowledged.length);
    await stop(server.child, server.exited);
    // The registry on disk names every API job (the journal, if any, is replayed; the compacted file is JSON).
    const onDisk = readFileSync(join(home, 'server', 'registry.json'), 'utf8');
    expect(() => JSON.parse(onDisk)).not.toThrow();
    await writeFile(join(home, 'done'), '');
  }, 120_000);
});
