import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPool, type ExecutionPool } from '../../src/pool.js';
import type { RunEvent, RunRequest } from '../../workers/protocol.js';
import { groupMembers, isPidAlive, killGroups, waitGroupGone, waitPidGone } from '../_proc.js';
import { waitFor } from '../_server.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const baseEnv = Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined));
const groups = new Set<number>();
const pools: ExecutionPool[] = [];
/** pid → parent pid, noted when `started` arrives (the process is alive then). */
const parents = new Map<number, number>();
let dir: string;
let counter = 0;
/** A 64 KB tmpfs for a full-disk run, or null where mounting is not permitted. */
let fullDisk: string | null = null;

beforeAll(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'mxx-spawner-')));
  const mount = join(dir, 'full');
  mkdirSync(mount);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mount], { stdio: 'ignore' });
    fullDisk = mount;
  } catch {
    // not root / no CAP_SYS_ADMIN: the full-disk test says it is skipped
  }
});

afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close()));
});

afterAll(async () => {
  const stillThere = [];
  for (const pgid of groups) if (!(await waitGroupGone(pgid))) stillThere.push(pgid);
  killGroups(stillThere);
  const spawnersLeft = spawnersOf(process.pid);
  for (const pid of spawnersLeft) process.kill(pid, 'SIGKILL');
  if (fullDisk !== null) execFileSync('umount', [fullDisk]);
  rmSync(dir, { recursive: true, force: true });
  expect(stillThere).toEqual([]);
  expect(spawnersLeft).toEqual([]);
});

function pool(options: Parameters<typeof createPool>[0] = {}): ExecutionPool {
  const created = createPool({ spawner: 'spawner', ...options });
  pools.push(created);
  return created;
}

function request(cmd: string | string[], overrides: Partial<Omit<RunRequest, 'port' | 'v'>> = {}): Omit<RunRequest, 'port' | 'v'> {
  const runId = `run-${process.pid}-${++counter}`;
  return { runId, jobId: 'job', cmd, env: baseEnv, graceMs: 1_000, logPath: join(dir, `${runId}.log`), logCapBytes: 1 << 20, tailBytes: 1024, ...overrides };
}

function track(events: RunEvent[]): (event: RunEvent) => void {
  return (event) => {
    if (event.type === 'started') {
      groups.add(event.pid);
      if (isPidAlive(event.pid)) parents.set(event.pid, parentOf(event.pid));
    }
    events.push(event);
  };
}

async function firstStarted(events: RunEvent[]): Promise<number> {
  await waitFor(() => events.some((event) => event.type === 'started'), 10_000, 'the started event', 5);
  const started = events.find((event) => event.type === 'started');
  return started?.type === 'started' ? started.pid : -1;
}

/** The parent of a run's process: its spawner. */
function parentOf(pid: number): number {
  const known = parents.get(pid);
  if (known !== undefined) return known;
  return Number(execFileSync('ps', ['-o', 'ppid=', '-p', String(pid)], { encoding: 'utf8' }).trim());
}

/** The spawner processes whose parent is `parentPid` (ps works on Linux and macOS alike). */
function spawnersOf(parentPid: number): number[] {
  const out = execFileSync('ps', ['-A', '-o', 'pid=,ppid=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([, ppid, ...args]) => Number(ppid) === parentPid && args[0] === 'mxx-spawner')
    .map(([pid]) => Number(pid))
    .filter((pid) => isPidAlive(pid));
}


// What every pool does whoever forks (events, stop, a stop before the start, 200 runs at once, a
// crashed thread, close, exiting by itself) is tested for both in pool.test.ts; here, what is the
// spawner's own: where the command runs, its lifetime, its death, its end with the server's.
describe('execution pool with the spawner process', () => {
  it('runs the command outside the server: output in the log, exit code, events before the result', async () => {
    const runs = pool({ threads: 1 });
    const events: RunEvent[] = [];
    const result = await runs.run(request('echo out; echo err >&2; sleep 0.1; exit 3'), track(events)).result;
    expect(result).toMatchObject({ status: 'failed', exitCode: 3, signal: null, error: 'exited with code 3', outputBytes: 8 });
    expect(readFileSync(join(dir, `run-${process.pid}-${counter}.log`), 'utf8')).toBe('out\nerr\n');
    expect(events.map((event) => event.type)).toEqual(['started', 'output']);
    expect(events[0]).toMatchObject({ pid: result.pid, startedAt: result.startedAt });
    // The command's parent is the spawner, not this process (where the worker thread lives).
    expect(spawnersOf(process.pid)).toEqual([parentOf(result.pid!)]);

    const ok = await runs.run(request(['printf', 'hi']), track(events)).result;
    expect(ok).toMatchObject({ status: 'completed', exitCode: 0, tail: 'hi' });
  });

  it('enforces the lifetime inside the spawner: timed_out, group ended', async () => {
    const runs = pool({ threads: 1 });
    const events: RunEvent[] = [];
    const result = await runs.run(request('sleep 30 & sleep 30', { lifetimeMs: 300 }), track(events)).result;
    // Ended by the SIGTERM at the deadline (the sleeps do not ignore it), not by the grace's SIGKILL.
    expect(result).toMatchObject({ status: 'timed_out', error: 'lifetime of 0.3s passed', signal: 'SIGTERM' });
    expect(groupMembers(result.pid!)).toEqual([]);
  });

  it('if the spawner dies mid-run, the group is killed, the run fails, and the next run gets a new spawner', async () => {
    const runs = pool({ threads: 1 });
    const events: RunEvent[] = [];
    const handle = runs.run(request('sleep 30 & sleep 30'), track(events));
    const pid = await firstStarted(events);
    const spawner = parentOf(pid);
    expect(spawnersOf(process.pid)).toEqual([spawner]);
    process.kill(spawner, 'SIGKILL');
    const result = await handle.result;
    expect(result).toMatchObject({ status: 'failed', pid, signal: 'SIGKILL', error: 'the spawner process died (signal SIGKILL)' });
    expect(groupMembers(pid)).toEqual([]);

    const next = await runs.run(request('echo again; sleep 0.2'), track(events)).result;
    expect(next).toMatchObject({ status: 'completed', tail: 'again\n' });
    expect(parentOf(next.pid!)).not.toBe(spawner);
    expect(spawnersOf(process.pid)).toEqual([parentOf(next.pid!)]);
  });

  it('close() ends the threads, and with them their spawners', async () => {
    // One run per thread, so that the two runs need two threads (and two spawners).
    const runs = createPool({ threads: 2, spawner: 'spawner', concurrentTasksPerWorker: 1 });
    const events: RunEvent[] = [];
    const handles = [runs.run(request('sleep 30'), track(events)), runs.run(request('sleep 30'), track(events))];
    await waitFor(() => events.filter((event) => event.type === 'started').length === 2, 10_000, 'both started events', 5);
    const spawners = spawnersOf(process.pid);
    expect(spawners.sort()).toEqual(events.flatMap((event) => (event.type === 'started' ? [parentOf(event.pid)] : [])).sort());
    await runs.close();
    for (const result of await Promise.all(handles.map((handle) => handle.result))) expect(result.status).toBe('failed');
    for (const pid of spawners) expect(await waitPidGone(pid)).toBe(true);
  });

  it('starts one thread, more as runs need them up to the cap, and retires idle ones with their spawners; a run after that works', async () => {
    const runs = pool({ threads: 3, idleMs: 300, concurrentTasksPerWorker: 1 });
    expect(runs.threads).toBe(3);
    // One thread kept warm, and no more than its spawner.
    expect(runs.liveThreads).toBe(1);
    expect(spawnersOf(process.pid).length).toBeLessThanOrEqual(1);
    const events: RunEvent[] = [];
    const handles = [1, 2, 3].map(() => runs.run(request('sleep 0.5'), track(events)));
    await waitFor(() => events.filter((event) => event.type === 'started').length === 3, 10_000, 'three started events', 5);
    expect(runs.liveThreads).toBe(3);
    // One run per thread here, so three threads, each forking from its own spawner.
    const used = [...new Set(events.flatMap((event) => (event.type === 'started' ? [parentOf(event.pid)] : [])))].sort();
    expect(used).toHaveLength(3);
    expect(spawnersOf(process.pid).sort()).toEqual(used);
    for (const result of await Promise.all(handles.map((handle) => handle.result))) expect(result.status).toBe('completed');

    // Past the idle period the two extra threads are gone, and their spawner processes with them.
    await waitFor(() => runs.liveThreads === 1, 10_000, 'the idle threads retired', 20);
    await waitFor(() => used.filter((pid) => isPidAlive(pid)).length === 1, 10_000, 'two spawners gone', 20);
    const left = spawnersOf(process.pid);
    expect(left).toHaveLength(1);
    expect(used).toContain(left[0]);

    const again: RunEvent[] = [];
    const next = await runs.run(request('echo again'), track(again)).result;
    expect(next).toMatchObject({ status: 'completed', exitCode: 0, tail: 'again\n' });
    expect(runs.liveThreads).toBe(1);
  });

  it('a server killed by SIGKILL leaves no orphans: its spawners end the runs and exit', async () => {
    const script = `
      import { createPool } from ${JSON.stringify(`${root}dist/src/pool.js`)};
      const pool = createPool({ threads: 2, spawner: 'spawner' });
      const base = { jobId: 'j', env: process.env, graceMs: 500, logCapBytes: 1000, tailBytes: 100 };
      for (let i = 0; i < 4; i++) {
        const logPath = ${JSON.stringify(dir)} + '/crash-' + i + '.log';
        pool.run({ ...base, runId: 'crash-' + process.pid + '-' + i, cmd: 'sleep 60 & sleep 60', logPath }, (event) => {
          if (event.type === 'started') console.log(event.pid);
        });
      }
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const pids: number[] = [];
    for await (const line of createInterface({ input: child.stdout })) {
      pids.push(Number(line));
      groups.add(Number(line));
      if (pids.length === 4) break;
    }
    const spawners = spawnersOf(child.pid!);
    expect(spawners.length).toBeGreaterThan(0);
    for (const pid of pids) expect(groupMembers(pid).length).toBeGreaterThan(0);

    child.kill('SIGKILL');
    await exited;
    for (const pid of pids) expect(await waitGroupGone(pid, 3_000)).toBe(true);
    for (const pid of spawners) expect(await waitPidGone(pid, 3_000)).toBe(true);
  });

  it('a full disk under the log does not hang a run in the spawner; the result carries logError', async (context) => {
    if (fullDisk === null) return context.skip('skipped: mount -t tmpfs is not permitted here (needs root / CAP_SYS_ADMIN)');
    const runs = pool({ threads: 1 });
    const events: RunEvent[] = [];
    const result = await runs.run(request('head -c 300000 /dev/zero; echo done', { logPath: join(fullDisk, 'full.log') }), track(events)).result;
    expect(result).toMatchObject({ status: 'completed', exitCode: 0, outputBytes: 300_005 });
    expect(result.tail.endsWith('done\n')).toBe(true);
    expect(result.logError).toMatch(/^ENOSPC/);
  }, 20_000);
});
