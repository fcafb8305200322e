/**
 * The compiled helper forks a run ahead of its instant (up to 200 ms, native/mxx-spawn.c
 * ARM_AHEAD_MS); the child waits for the instant and execs. What must hold for such an armed run:
 * the command itself runs on the instant, not before; a stop before the instant kills the armed
 * process and the command never runs; a helper killed meanwhile leaves no command to start later.
 * Checked with the OS (the armed children are the helper's children until they exec) and with
 * files the commands would write.
 */
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nativeHelper } from './_native.js';
import { prestartNativeSpawner, startRunInNativeSpawner } from '../../workers/native-spawner.js';
import type { RunEvent } from '../../workers/protocol.js';
import type { RunSpec } from '../../workers/spawn-run.js';
import { childrenOf, isPidAlive } from '../_proc.js';
import { waitFor } from '../_server.js';

const baseEnv = Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined));
let dir: string;
let counter = 0;

beforeAll(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'mxx-armed-')));
  prestartNativeSpawner(nativeHelper);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function spec(cmd: string, notBefore: number): RunSpec {
  const runId = `armed-${process.pid}-${++counter}`;
  return {
    runId,
    jobId: 'job',
    cmd,
    env: { ...baseEnv, MXX_JOB_ID: 'job', MXX_RUN_ID: runId },
    graceMs: 1_000,
    logPath: join(dir, `${runId}.log`),
    logCapBytes: 1024 * 1024,
    tailBytes: 1024,
    notBefore,
  };
}

function start(runSpec: RunSpec) {
  const events: RunEvent[] = [];
  return { ...startRunInNativeSpawner(nativeHelper, runSpec, (event) => events.push(event)), events, log: () => readFileSync(runSpec.logPath, 'utf8') };
}

/** This process's helper (there is one at a time; none after it is killed). */
const helpers = (): number[] => childrenOf(process.pid);
/** What the helper has forked and not yet reaped: armed runs, and started ones. */
const helperChildren = (): number[] => helpers().flatMap((helper) => childrenOf(helper));

describe('compiled helper: runs forked ahead of their instant', () => {
  it('20 runs for one instant: every command reads the clock no earlier than the instant, and every one completes', async () => {
    const at = Date.now() + 150;
    const runs = Array.from({ length: 20 }, () => start(spec('date +%s%3N', at)));
    const results = await Promise.all(runs.map((running) => running.result));
    for (const [i, result] of results.entries()) {
      expect(result.status).toBe('completed');
      expect(result.startedAt!).toBeGreaterThanOrEqual(at);
      expect(Number(runs[i]!.log().trim())).toBeGreaterThanOrEqual(at);
    }
  });

  it('a stop before the instant kills the armed process: the command never runs, nothing is left', async () => {
    const marker = join(dir, 'stopped-ran');
    const running = start(spec(`touch ${marker}`, Date.now() + 400));
    // Armed 200 ms before the instant: the helper's forked child is there, not yet the command.
    await waitFor(() => helperChildren().length === 1, 3_000, 'the run to be armed');
    running.stop('cancelled');
    const result = await running.result;
    expect(result).toMatchObject({ status: 'cancelled', pid: null, startedAt: null });
    expect(running.events).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 500)); // past the instant
    expect(existsSync(marker)).toBe(false);
    expect(helperChildren()).toEqual([]);
  });

  it('a helper killed while runs are armed: they fail, and no command starts at the instant', async () => {
    const markers = [1, 2, 3].map((n) => join(dir, `orphan-${n}`));
    const at = Date.now() + 400;
    const runs = markers.map((marker) => start(spec(`touch ${marker}`, at)));
    await waitFor(() => helperChildren().length === 3, 3_000, 'the runs to be armed');
    const armed = helperChildren();
    const [helper] = helpers();
    process.kill(helper!, 'SIGKILL');
    for (const result of await Promise.all(runs.map((running) => running.result))) expect(result).toMatchObject({ status: 'failed', pid: null });
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now()) + 300));
    expect(markers.filter((marker) => existsSync(marker))).toEqual([]);
    expect(armed.filter((pid) => isPidAlive(pid))).toEqual([]);
  });
});
