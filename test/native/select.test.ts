/**
 * Which spawner runs, and that it is really the one said: the command's parent process is the
 * compiled helper (or the Node spawner), /health and the pool say the same, a forced helper that
 * is missing is a CONFIG_INVALID naming its path, and the helper on its own ends its runs and a
 * setsid daemon (checked in /proc) when its stdin closes.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readlinkSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { nativeHelper } from './_native.js';
import { createPool, type ExecutionPool } from '../../src/pool.js';
import type { RunEvent } from '../../workers/protocol.js';
import { groupMembers, runCarriers, waitGroupGone, waitPidGone } from '../_proc.js';
import { startTestServer, waitFor } from '../_server.js';

const scripts = fileURLToPath(new URL('../../fixtures/scripts/', import.meta.url));
const dir = realpathSync(mkdtempSync(join(tmpdir(), 'mxx-native-select-')));
const saved = { spawner: process.env.MXX_SPAWNER, path: process.env.MXX_TEST_NATIVE_SPAWNER };
const pools: ExecutionPool[] = [];
let counter = 0;

afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close()));
  for (const [key, value] of [['MXX_SPAWNER', saved.spawner], ['MXX_TEST_NATIVE_SPAWNER', saved.path]] as const) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `sleep 0.3` and returns the executable of the command's parent (the spawner). */
async function parentExe(pool: ExecutionPool): Promise<string> {
  const events: RunEvent[] = [];
  const runId = `select-${process.pid}-${++counter}`;
  const handle = pool.run({ runId, jobId: 'j', cmd: 'sleep 0.3', env: {}, graceMs: 500, logPath: join(dir, `${runId}.log`), logCapBytes: 1000, tailBytes: 100 }, (e) => events.push(e));
  const started = await waitFor(() => events.find((event) => event.type === 'started'), 10_000, 'started', 5);
  const pid = started.type === 'started' ? started.pid : -1;
  const ppid = Number(execFileSync('ps', ['-o', 'ppid=', '-p', String(pid)], { encoding: 'utf8' }).trim());
  const exe = readlinkSync(`/proc/${ppid}/exe`);
  expect((await handle.result).status).toBe('completed');
  return exe;
}

describe.skipIf(process.platform !== 'linux')('spawner selection', () => {
  it('by default the helper forks the commands (their parent is dist/native/mxx-spawn)', async () => {
    delete process.env.MXX_SPAWNER;
    const pool = createPool({ threads: 1 });
    pools.push(pool);
    expect(pool.spawner).toBe('native');
    expect(await parentExe(pool)).toBe(nativeHelper);
  });

  it('MXX_SPAWNER=node forks from the Node spawner', async () => {
    process.env.MXX_SPAWNER = 'node';
    const pool = createPool({ threads: 1 });
    pools.push(pool);
    expect(pool.spawner).toBe('node');
    expect(await parentExe(pool)).toBe(process.execPath);
  });

  it('without the helper the Node spawner runs, and /health says so', async () => {
    delete process.env.MXX_SPAWNER;
    process.env.MXX_TEST_NATIVE_SPAWNER = join(dir, 'no-such-helper');
    const server = await startTestServer();
    try {
      expect((await server.call('/health')).body.spawner).toBe('node');
      expect(server.logs()).toMatch(/listening on .*spawner=node/);
    } finally {
      await server.dispose();
    }
    delete process.env.MXX_TEST_NATIVE_SPAWNER;
    const native = await startTestServer();
    try {
      expect((await native.call('/health')).body.spawner).toBe('native');
      expect(native.logs()).toMatch(/listening on .*spawner=native/);
    } finally {
      await native.dispose();
    }
  });

  it('MXX_SPAWNER=native without the helper is a start-up error naming its path; a bad value names the variable', () => {
    process.env.MXX_SPAWNER = 'native';
    process.env.MXX_TEST_NATIVE_SPAWNER = join(dir, 'no-such-helper');
    expect(() => createPool({ threads: 1 })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining(join(dir, 'no-such-helper')) }));
    process.env.MXX_SPAWNER = 'c';
    expect(() => createPool({ threads: 1 })).toThrow(/MXX_SPAWNER must be 'node' or 'native', got "c"/);
  });

  it('the helper alone: when its stdin closes it ends its runs, their groups and a setsid daemon, then exits', async () => {
    const helper = spawn(nativeHelper, [], { stdio: ['pipe', 'pipe', 'inherit'], detached: true });
    const runId = `stdin-close-${process.pid}`;
    const argv = ['/bin/sh', '-c', `sh ${scripts}daemonize-setsid.sh; sleep 60 & sleep 60`];
    const env = [`MXX_RUN_ID=${runId}`];
    const fields = ['run', '1', '-1', String(Date.now()), '', join(dir, 'stdin.log'), '1000', '100', '300', runId, '1', String(argv.length), ...argv, String(env.length), ...env];
    helper.stdin.write(`${fields.join('\0')}\0`);
    let replies = '';
    helper.stdout.on('data', (chunk: Buffer) => (replies += chunk.toString('latin1')));
    await waitFor(() => /^S 1 (\d+) /m.test(replies), 10_000, 'started', 5);
    const pgid = Number(/^S 1 (\d+) /m.exec(replies)![1]);
    await waitFor(() => runCarriers(runId).some((pid) => !groupMembers(pgid).includes(pid)), 10_000, 'the daemon outside the group', 20);
    const exited = new Promise((resolve) => helper.once('exit', resolve));
    helper.stdin.end();
    await exited;
    expect(await waitGroupGone(pgid, 3_000)).toBe(true);
    expect(runCarriers(runId)).toEqual([]);
    expect(await waitPidGone(helper.pid!, 1_000)).toBe(true);
  });
});
