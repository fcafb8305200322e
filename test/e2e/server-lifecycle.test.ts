/** Shutdown, restart and crash recovery, checked with the OS. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { groupMembers, isPidAlive, waitPidGone } from '../_proc.js';
import { createHome, startTestServer, waitFor, waitForRun } from '../_server.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SERVER_ENTRY = join(ROOT, 'dist', 'src', 'main.js');
const children = new Set<ChildProcess>();

/** The built server in its own process, as users run it. Resolves with its URL once listening. */
function serverProcess(home: string): Promise<{ child: ChildProcess; url: string; exited: Promise<number | null> }> {
  const child = spawn(
    process.execPath,
    ['--input-type=module', '-e', `import(${JSON.stringify(SERVER_ENTRY)}).then((m) => m.runServer({ port: 0, threads: 1 }))`],
    { env: { ...process.env, MXX_HOME: home, HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.add(child);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => (children.delete(child), resolve(code))));
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve({ child, url: match[1]!, exited });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => reject(new Error(`server exited (${code}) before listening:\n${output}`)));
  });
}

/** The parent pid of a process, from the OS. */
function parentPid(pid: number): number {
  if (process.platform === 'linux') {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  }
  return Number(execFileSync('ps', ['-o', 'ppid=', '-p', String(pid)], { encoding: 'utf8' }).trim());
}

async function post(url: string, path: string, json?: unknown): Promise<any> {
  const res = await fetch(`${url}/api/scheduler${path}`, {
    method: 'POST',
    ...(json === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(json) }),
  });
  return res.json();
}

async function get(url: string, path: string): Promise<any> {
  return (await fetch(`${url}/api/scheduler${path}`)).json();
}

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
});

describe('server lifecycle', () => {
  it('close() stops a run in progress, grandchildren included, and records it interrupted', async () => {
    const server = await startTestServer();
    try {
      await server.call('/jobs', {
        method: 'POST',
        json: { job_id: 'tree', config: { os: { cmd: 'sleep 61 & sleep 62' } } },
      });
      const { body } = await server.call('/jobs/tree/trigger', { method: 'POST' });
      const pid = await waitFor(async () => (await server.call(`/runs/${body.run_id}`)).body.pid as number, 5000, 'pid');
      const members = await waitFor(() => (groupMembers(pid).length >= 2 ? groupMembers(pid) : null), 5000, 'both sleeps');
      await server.close();
      for (const member of members) expect(await waitPidGone(member, 3000)).toBe(true);
      const record = server.supervisor.run(body.run_id);
      expect(record.status).toBe('interrupted');
    } finally {
      await server.dispose();
    }
  });

  it('SIGTERM: exits 0 and leaves no process of a run behind', async () => {
    const home = await createHome();
    try {
      const { child, url, exited } = await serverProcess(home);
      await post(url, '/jobs', { job_id: 'long', config: { os: { cmd: 'sleep 120' }, lifetime: { grace: 1 } } });
      const trig = await post(url, '/jobs/long/trigger');
      const pid = await waitFor(async () => (await get(url, `/runs/${trig.run_id}`)).pid as number, 5000, 'pid');
      expect(isPidAlive(pid)).toBe(true);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(await waitPidGone(pid, 3000)).toBe(true);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it('restart: API jobs are re-armed, cancelled ones stay paused, history is kept', async () => {
    const home = await createHome();
    try {
      const first = await startTestServer({ home });
      await first.call('/jobs', {
        method: 'POST',
        json: { job_id: 'ticker', config: { os: { cmd: 'true' } }, schedule: { trigger: 'interval', hours: 1 } },
      });
      await first.call('/jobs', {
        method: 'POST',
        json: { job_id: 'paused', config: { os: { cmd: 'true' } }, schedule: { trigger: 'cron', hour: 3 } },
      });
      await first.call('/jobs/paused', { method: 'DELETE' });
      const { body } = await first.call('/jobs/ticker/trigger', { method: 'POST' });
      await waitForRun(first, body.run_id);
      const before = (await first.call('/jobs/ticker')).body.next_run_time;
      await first.close();

      const second = await startTestServer({ home });
      try {
        const ticker = (await second.call('/jobs/ticker')).body;
        expect(ticker.scheduled).toBe(true);
        expect(ticker.next_run_time).toBe(before);
        expect(ticker.status).toBe('completed');
        expect((await second.call('/jobs/ticker/runs')).body.runs[0].run_id).toBe(body.run_id);
        const paused = (await second.call('/jobs/paused')).body;
        expect(paused).toMatchObject({ paused: true, scheduled: false, next_run_time: null });
        expect((await second.call('/registry/ticker')).body.execution_count).toBe(1);
      } finally {
        await second.close();
      }
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it('after a crash (SIGKILL), the spawner ends the run at once and the next start marks it interrupted', async () => {
    const home = await createHome();
    try {
      const { child, url, exited } = await serverProcess(home);
      await post(url, '/jobs', { job_id: 'crashy', config: { os: { cmd: 'sleep 120' }, lifetime: { grace: 1 } } });
      const trig = await post(url, '/jobs/crashy/trigger');
      const pid = await waitFor(async () => (await get(url, `/runs/${trig.run_id}`)).pid as number, 5000, 'pid');
      await new Promise((r) => setTimeout(r, 300)); // let the history reach the disk
      child.kill('SIGKILL');
      await exited;
      expect(await waitPidGone(pid, 5000)).toBe(true);
      const second = await startTestServer({ home });
      try {
        const run = (await second.call(`/runs/${trig.run_id}`)).body;
        expect(run.status).toBe('interrupted');
        expect(run.error).toMatch(/server stopped/);
      } finally {
        await second.close();
      }
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it('when the whole supervision died with the server, the next start ends the leftover process', async () => {
    const home = await createHome();
    try {
      const { child, url, exited } = await serverProcess(home);
      await post(url, '/jobs', { job_id: 'orphan', config: { os: { cmd: 'sleep 120' } } });
      const trig = await post(url, '/jobs/orphan/trigger');
      const pid = await waitFor(async () => (await get(url, `/runs/${trig.run_id}`)).pid as number, 5000, 'pid');
      await new Promise((r) => setTimeout(r, 300));
      // Freeze the process that spawned the run so it cannot react, then kill it with the server:
      // as if the machine had killed everything but the run.
      const parent = parentPid(pid);
      expect(parent).not.toBe(child.pid);
      process.kill(parent, 'SIGSTOP');
      child.kill('SIGKILL');
      await exited;
      process.kill(parent, 'SIGKILL');
      expect(await waitPidGone(parent, 3000)).toBe(true);
      expect(isPidAlive(pid)).toBe(true); // left behind…
      const second = await startTestServer({ home });
      try {
        expect(await waitPidGone(pid, 3000)).toBe(true); // …and ended by the next start
        const run = (await second.call(`/runs/${trig.run_id}`)).body;
        expect(run.status).toBe('interrupted');
        expect((await second.call('/jobs/orphan')).body.status).toBe('interrupted');
      } finally {
        await second.close();
      }
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
