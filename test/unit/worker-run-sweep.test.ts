/** The end-of-run sweep on its own: real processes that left their group, found through /proc. */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { endRunProcesses, findRunProcesses, runIdOf } from '../../workers/run-sweep.js';
import { isPidAlive, runCarriers } from '../_proc.js';
import { waitFor } from '../_server.js';

const linux = process.platform === 'linux';
const started: number[] = [];
let counter = 0;

afterAll(() => {
  const left = started.filter((pid) => isPidAlive(pid));
  for (const pid of left) process.kill(pid, 'SIGKILL');
  expect(left).toEqual([]);
});

const uniqueRunId = (): string => `sweep-${process.pid}-${++counter}`;

/** A `sleep` in a session of its own carrying `MXX_RUN_ID=runId`, as a daemon of that run would. */
function escapedSleep(runId: string): number {
  const child = spawn('sleep', ['100'], { detached: true, stdio: 'ignore', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', MXX_RUN_ID: runId } });
  child.unref();
  started.push(child.pid!);
  return child.pid!;
}


describe('run id in an environment block', () => {
  it('reads MXX_RUN_ID wherever it sits, and not from inside another value', () => {
    expect(runIdOf(Buffer.from('A=1\0MXX_RUN_ID=r1\0B=2\0'))).toBe('r1');
    expect(runIdOf(Buffer.from('MXX_RUN_ID=r2\0'))).toBe('r2');
    expect(runIdOf(Buffer.from('MXX_RUN_ID=r3'))).toBe('r3');
    expect(runIdOf(Buffer.from('X=MXX_RUN_ID=fake\0MXX_RUN_ID=real\0'))).toBe('real');
    expect(runIdOf(Buffer.from('X=MXX_RUN_ID=fake\0'))).toBeNull();
    expect(runIdOf(Buffer.from(''))).toBeNull();
    expect(runIdOf(null)).toBeNull();
  });
});

describe.skipIf(!linux)(`end-of-run sweep${linux ? '' : ' — skipped: needs Linux /proc/PID/environ'}`, () => {
  it('ends the processes carrying the run id and resolves once they are gone; others are left alone', async () => {
    const runId = uniqueRunId();
    const other = uniqueRunId();
    const pids = [escapedSleep(runId), escapedSleep(runId)];
    const bystander = escapedSleep(other);
    await waitFor(() => runCarriers(runId).length === 2 && runCarriers(other).length === 1);
    expect((await findRunProcesses(new Set([runId]))).get(runId)?.sort()).toEqual(pids.sort());
    expect(await endRunProcesses(runId)).toBe(2);
    expect(runCarriers(runId)).toEqual([]);
    expect(isPidAlive(bystander)).toBe(true);
    expect(await endRunProcesses(other)).toBe(1);
    expect(runCarriers(other)).toEqual([]);
  });

  it('many runs ending at once are all swept (they share /proc passes)', async () => {
    const runIds = Array.from({ length: 20 }, uniqueRunId);
    for (const runId of runIds) escapedSleep(runId);
    await waitFor(() => runIds.every((runId) => runCarriers(runId).length === 1));
    const ended = await Promise.all(runIds.map((runId) => endRunProcesses(runId)));
    expect(ended).toEqual(Array(20).fill(1));
    expect(runIds.flatMap(runCarriers)).toEqual([]);
  });

  it('never finds this process (the server, or the spawner), whatever run id it carries', async () => {
    const own = runIdOf(readFileSync(`/proc/${process.pid}/environ`)) ?? uniqueRunId();
    expect((await findRunProcesses(new Set([own]))).get(own) ?? []).not.toContain(process.pid);
  });
});
