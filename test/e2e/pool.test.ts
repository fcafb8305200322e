import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, type ExecutionPool } from '../../src/pool.js';
import type { RunEvent, RunRequest } from '../../workers/protocol.js';
import { groupMembers, isPidAlive, killGroups, waitGroupGone } from '../_proc.js';
import { waitFor } from '../_server.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const baseEnv = Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined));
const groups = new Set<number>();
const pools: ExecutionPool[] = [];
let dir: string;
let counter = 0;

beforeAll(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'mxx-pool-')));
});

afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.close()));
  const stillThere = [];
  for (const pgid of groups) if (!(await waitGroupGone(pgid))) stillThere.push(pgid);
  killGroups(stillThere);
  rmSync(dir, { recursive: true, force: true });
  expect(stillThere).toEqual([]);
});

type Via = NonNullable<NonNullable<Parameters<typeof createPool>[0]>['spawner']>;

function pool(spawner: Via, options: Parameters<typeof createPool>[0]): ExecutionPool {
  const created = createPool({ spawner, ...options });
  pools.push(created);
  return created;
}

function request(cmd: string | string[], overrides: Partial<Omit<RunRequest, 'port' | 'v'>> = {}): Omit<RunRequest, 'port' | 'v'> {
  const runId = `run-${process.pid}-${++counter}`;
  return { runId, jobId: 'job', cmd, env: baseEnv, graceMs: 1_000, logPath: join(dir, `${runId}.log`), logCapBytes: 1 << 20, tailBytes: 1024, ...overrides };
}

/** Remembers every started group for the final no-orphans check. */
function track(events: RunEvent[]): (event: RunEvent) => void {
  return (event) => {
    if (event.type === 'started') groups.add(event.pid);
    events.push(event);
  };
}

async function firstStarted(events: RunEvent[]): Promise<number> {
  const started = await waitFor(() => events.find((event) => event.type === 'started'), 10_000, 'the started event', 5);
  return started.type === 'started' ? started.pid : -1;
}

// Both ways of forking: from the worker threads, and from each thread's spawner process.
describe.each(['thread', 'spawner'] as const)('execution pool (fork from %s)', (via) => {
  it('delivers started with a live pid, and every event before the result', async () => {
    const runs = pool(via, { threads: 1 });
    expect(runs.threads).toBe(1);
    const events: RunEvent[] = [];
    let aliveAtStart = false;
    let parent = -1;
    const handle = runs.run(request('echo hi; sleep 0.3'), (event) => {
      track(events)(event);
      if (event.type !== 'started') return;
      aliveAtStart = isPidAlive(event.pid);
      parent = Number(execFileSync('ps', ['-o', 'ppid=', '-p', String(event.pid)], { encoding: 'utf8' }).trim());
    });
    const result = await handle.result;
    expect(aliveAtStart).toBe(true);
    // The pool's `spawner` option decides for every run: forked by this process (its thread) or by a spawner.
    if (via === 'thread') expect(parent).toBe(process.pid);
    else expect(parent).not.toBe(process.pid);
    expect(result).toMatchObject({ runId: handle.runId, status: 'completed', exitCode: 0, tail: 'hi\n' });
    expect(events.map((event) => event.type)).toEqual(['started', 'output']);
    expect(events[0]).toMatchObject({ pid: result.pid, startedAt: result.startedAt });
  });

  it('runs 200 sleeps at once on 2 threads: concurrency is not the thread count', async () => {
    const runs = pool(via, { threads: 2, concurrentTasksPerWorker: 100 });
    const events: RunEvent[] = [];
    const handles = Array.from({ length: 200 }, () => runs.run(request('sleep 30'), track(events)));
    let ended = 0;
    for (const handle of handles) void handle.result.then(() => ended++);
    // All 200 started while none had ended: they ran at once (how fast is the bench's question).
    await waitFor(() => events.filter((event) => event.type === 'started').length === 200, 20_000, '200 started events');
    expect(ended).toBe(0);
    for (const handle of handles) handle.stop('cancelled');
    const results = await Promise.all(handles.map((handle) => handle.result));
    expect(results.map((result) => result.status)).toEqual(Array(200).fill('cancelled'));
  });

  it('stop through the handle cancels the run and ends its group', async () => {
    const runs = pool(via, { threads: 1 });
    const events: RunEvent[] = [];
    const handle = runs.run(request('sleep 30 & sleep 30'), track(events));
    const pid = await firstStarted(events);
    handle.stop('cancelled');
    const result = await handle.result;
    expect(result).toMatchObject({ status: 'cancelled', stopReason: 'cancelled', pid });
    expect(groupMembers(pid)).toEqual([]);
  });

  it('a stop before the task starts means the command never runs', async () => {
    const runs = pool(via, { threads: 1 });
    const events: RunEvent[] = [];
    const handle = runs.run(request('sleep 30'), track(events));
    handle.stop('replaced');
    const result = await handle.result;
    expect(result).toMatchObject({ status: 'cancelled', stopReason: 'replaced', pid: null });
    expect(events).toEqual([]);
  });

  it('when a worker thread dies mid-run, the pool kills the group and reports failed', async () => {
    const runs = pool(via, { threads: 1, workerFile: `${root}fixtures/scripts/crash-worker.mjs` });
    const events: RunEvent[] = [];
    const result = await runs.run(request('unused'), track(events)).result;
    const pid = events[0]?.type === 'started' ? events[0].pid : -1;
    expect(result).toMatchObject({ status: 'failed', pid, signal: 'SIGKILL', error: 'worker crashed: worker exited with code: 1' });
    expect(groupMembers(pid)).toEqual([]);
  });

  it('close() with runs in flight kills their groups and settles them', async () => {
    const runs = createPool({ threads: 2, spawner: via });
    const events: RunEvent[] = [];
    const handles = [runs.run(request('sleep 30 & sleep 30'), track(events)), runs.run(request(['sleep', '30']), track(events))];
    await waitFor(() => events.filter((event) => event.type === 'started').length === 2, 10_000, 'both started events', 5);
    const pids = events.flatMap((event) => (event.type === 'started' ? [event.pid] : []));
    await runs.close();
    const results = await Promise.all(handles.map((handle) => handle.result));
    for (const result of results) expect(result).toMatchObject({ status: 'failed', error: 'the execution pool was closed during the run' });
    for (const pid of pids) expect(groupMembers(pid)).toEqual([]);
    expect(() => runs.run(request('true'), () => {})).toThrow('closed');
  });

  it('a process that uses and closes a pool exits by itself (no thread or port left)', async () => {
    const script = `
      import { createPool } from ${JSON.stringify(`${root}dist/src/pool.js`)};
      const pool = createPool({ threads: 2, spawner: '${via}' });
      const base = { jobId: 'j', env: process.env, graceMs: 500, logCapBytes: 1000, tailBytes: 100 };
      const a = pool.run({ ...base, runId: 'a-' + process.pid, cmd: 'echo a', logPath: ${JSON.stringify(join(dir, 'exit-a.log'))} }, () => {});
      const b = pool.run({ ...base, runId: 'b-' + process.pid, cmd: 'sleep 30', logPath: ${JSON.stringify(join(dir, 'exit-b.log'))} }, (event) => {
        if (event.type === 'started') b.stop('shutdown');
      });
      const results = await Promise.all([a.result, b.result]);
      await pool.close();
      console.log(results.map((r) => r.status).join(','));
    `;
    // A thread or port left open would keep the process alive until execFile's timeout kills it.
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: 10_000 }, (error, out) => (error ? reject(error) : resolve(out)));
    });
    expect(stdout.trim()).toBe('completed,cancelled');
  });
});
