import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PROTOCOL_VERSION, type RunEvent, type RunResult } from '../../workers/protocol.js';
import run, { startRun, type RunSpec } from '../../workers/run.js';
import { groupMembers, isPidAlive, killGroups, processesNamed, runCarriers, waitGroupGone, waitPidGone } from '../_proc.js';
import { waitFor } from '../_server.js';
import { smallDisk, type Tmpfs } from '../_tmpfs.js';

const scripts = fileURLToPath(new URL('../../fixtures/scripts/', import.meta.url));
const baseEnv = Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined));
const groups = new Set<number>();
const names = new Set<string>();
const mounts: Tmpfs[] = [];
let dir: string;
let counter = 0;

beforeAll(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'mxx-worker-')));
});

afterAll(async () => {
  const leftovers = [...groups].filter((pgid) => groupMembers(pgid).length > 0);
  const stillThere = [];
  for (const pgid of leftovers) if (!(await waitGroupGone(pgid))) stillThere.push(pgid);
  killGroups(stillThere);
  const namedLeft = [...names].flatMap((name) => processesNamed(name));
  for (const pid of namedLeft) process.kill(pid, 'SIGKILL');
  for (const mount of mounts) await mount.unmount();
  rmSync(dir, { recursive: true, force: true });
  expect(stillThere).toEqual([]);
  expect(namedLeft).toEqual([]);
});

function spec(overrides: Partial<RunSpec> & Pick<RunSpec, 'cmd'>): RunSpec {
  const runId = `run-${process.pid}-${++counter}`;
  return {
    runId,
    jobId: 'job',
    env: { ...baseEnv, MXX_JOB_ID: 'job', MXX_RUN_ID: runId },
    graceMs: 1_000,
    logPath: join(dir, `${runId}.log`),
    logCapBytes: 10 * 1024 * 1024,
    tailBytes: 4096,
    ...overrides,
  };
}

/** Starts a run, collecting its events and remembering its group for the final check. */
function start(runSpec: RunSpec) {
  const events: RunEvent[] = [];
  const running = startRun(runSpec, (event) => {
    if (event.type === 'started') groups.add(event.pid);
    events.push(event);
  });
  const started = new Promise<Extract<RunEvent, { type: 'started' }>>((resolve) => {
    const poll = setInterval(() => {
      const event = events.find((e) => e.type === 'started');
      if (event?.type === 'started') {
        clearInterval(poll);
        resolve(event);
      }
    }, 5);
  });
  return { ...running, events, started, log: () => readFileSync(runSpec.logPath, 'utf8') };
}

async function runToEnd(runSpec: RunSpec): Promise<{ result: RunResult; log: string; events: RunEvent[] }> {
  const running = start(runSpec);
  const result = await running.result;
  return { result, log: running.log(), events: running.events };
}

describe('worker run: exit status', () => {
  it('exit 0 is completed, with pid, times and output in the log', async () => {
    const { result, log, events } = await runToEnd(spec({ cmd: 'echo hello' }));
    expect(result).toMatchObject({ status: 'completed', exitCode: 0, signal: null, error: null, tail: 'hello\n', outputBytes: 6, truncated: false });
    expect(result.pid).toBeGreaterThan(0);
    expect(result.endedAt).toBeGreaterThanOrEqual(result.startedAt!);
    expect(log).toBe('hello\n');
    expect(events[0]).toMatchObject({ type: 'started', pid: result.pid, startedAt: result.startedAt });
  });

  it('a non-zero exit is failed with the exit code', async () => {
    const { result } = await runToEnd(spec({ cmd: `sh ${scripts}exit-code.sh 3` }));
    expect(result).toMatchObject({ status: 'failed', exitCode: 3, signal: null, error: 'exited with code 3' });
  });

  it('death by a signal that is not ours is failed with the signal', async () => {
    const { result } = await runToEnd(spec({ cmd: 'kill -9 $$' }));
    expect(result).toMatchObject({ status: 'failed', exitCode: null, signal: 'SIGKILL', error: 'killed by signal SIGKILL' });
  });

  it('an array runs without a shell', async () => {
    const { result, log } = await runToEnd(spec({ cmd: ['printf', '%s|', 'a b', '$HOME'] }));
    expect(result.status).toBe('completed');
    expect(log).toBe('a b|$HOME|');
  });

  it('runs in cwd with the given environment', async () => {
    const { log } = await runToEnd(spec({ cmd: 'pwd; echo "$MXX_JOB_ID $MXX_RUN_ID $EXTRA"', cwd: dir, env: { ...baseEnv, MXX_JOB_ID: 'j1', MXX_RUN_ID: 'r1', EXTRA: 'x' } }));
    expect(log).toBe(`${dir}\nj1 r1 x\n`);
  });

  it('captures stdout and stderr into one log', async () => {
    const { log, result } = await runToEnd(spec({ cmd: `sh ${scripts}stdout-stderr.sh` }));
    expect(log).toBe('out\nerr\n');
    expect(result.tail).toBe('out\nerr\n');
  });
});

describe('worker run: spawn errors', () => {
  it('a missing cwd fails without a pid and says so in the log', async () => {
    const runSpec = spec({ cmd: 'true', cwd: join(dir, 'nope') });
    const { result, log, events } = await runToEnd(runSpec);
    expect(result).toMatchObject({ status: 'failed', pid: null, startedAt: null, exitCode: null, error: `cwd ${join(dir, 'nope')} does not exist` });
    expect(log).toContain('does not exist');
    expect(events).toEqual([]);
  });

  it('a missing program fails without a pid', async () => {
    const { result } = await runToEnd(spec({ cmd: ['/nonexistent/mxx-program'] }));
    expect(result).toMatchObject({ status: 'failed', pid: null, error: 'cannot start /nonexistent/mxx-program: no such file or directory (ENOENT)' });
  });

  it('an empty command fails', async () => {
    const { result } = await runToEnd(spec({ cmd: [] }));
    expect(result).toMatchObject({ status: 'failed', pid: null, error: 'the command is empty' });
  });
});

describe('worker run: lifetime and grace', () => {
  // How late the SIGTERM and the SIGKILL land is the bench's to measure (lifetime scenario); here
  // only their order: the SIGTERM not before the deadline, the SIGKILL only after the grace.
  it('the SIGTERM arrives at the deadline, not before; a process ending on it is timed_out', async () => {
    // The process reports when the SIGTERM reached it, then exits 0: still a timeout.
    const listener = "process.on('SIGTERM',()=>{console.log(Date.now());process.exit(0)});console.log('up');setInterval(()=>{},1000)";
    const { result, log } = await runToEnd(spec({ cmd: [process.execPath, '-e', listener], lifetimeMs: 700 }));
    // Exit code 0 from the handler, no SIGKILL: the SIGTERM came, and came before the grace ended.
    expect(result).toMatchObject({ status: 'timed_out', error: 'lifetime of 0.7s passed', exitCode: 0, signal: null });
    const [up, receivedAt] = log.trim().split('\n');
    expect(up).toBe('up');
    expect(Number(receivedAt) - (result.startedAt! + 700)).toBeGreaterThanOrEqual(-2); // two clocks read in whole ms
  });

  it('a lone sleep is ended by the SIGTERM at the deadline, before the grace\'s SIGKILL', async () => {
    const { result } = await runToEnd(spec({ cmd: 'sleep 30', lifetimeMs: 300 }));
    expect(result).toMatchObject({ status: 'timed_out', signal: 'SIGTERM', exitCode: null, error: 'lifetime of 0.3s passed' });
    expect(result.endedAt - result.startedAt!).toBeGreaterThanOrEqual(300);
    expect(groupMembers(result.pid!)).toEqual([]);
  });

  it('a group that ignores SIGTERM is SIGKILLed, and only once the grace has passed', async () => {
    const { result, log } = await runToEnd(spec({ cmd: ['/bin/sh', `${scripts}ignore-sigterm.sh`], lifetimeMs: 300, graceMs: 300 }));
    expect(log).toBe('ready\n');
    expect(result).toMatchObject({ status: 'timed_out', signal: 'SIGKILL' });
    expect(result.endedAt - result.startedAt!).toBeGreaterThanOrEqual(300 + 300);
    expect(groupMembers(result.pid!)).toEqual([]);
  });

  it('a grandchild left behind by the shell is gone when the run resolves', async () => {
    const { result } = await runToEnd(spec({ cmd: `sh ${scripts}spawn-grandchild.sh` }));
    const grandchild = Number(result.tail.trim());
    expect(grandchild).toBeGreaterThan(0);
    expect(result).toMatchObject({ status: 'completed', exitCode: 0 });
    // Its `sleep 30` did not run out: it was ended with the group, before the run resolved.
    expect(isPidAlive(grandchild)).toBe(false);
    expect(groupMembers(result.pid!)).toEqual([]);
  });
});

describe('worker run: stop', () => {
  it('stop ends the group: cancelled with the reason', async () => {
    const running = start(spec({ cmd: 'sleep 30 & sleep 30' }));
    const started = await running.started;
    // `started` comes at the spawn; the shell forks its first sleep a moment later.
    expect(await waitFor(() => groupMembers(started.pid).length >= 2)).toBe(true);
    running.stop('replaced');
    const result = await running.result;
    expect(result).toMatchObject({ status: 'cancelled', stopReason: 'replaced', error: 'stopped: replaced by a newer run', signal: 'SIGTERM' });
    expect(groupMembers(started.pid)).toEqual([]);
  });

  it('a stop before the spawn never starts the command', async () => {
    const running = start(spec({ cmd: 'sleep 30' }));
    running.stop('cancelled');
    const result = await running.result;
    expect(result).toMatchObject({ status: 'cancelled', stopReason: 'cancelled', pid: null, startedAt: null });
    expect(running.events).toEqual([]);
  });

  it('a run dispatched ahead of its instant starts on the instant, not before', async () => {
    const at = Date.now() + 150;
    const { result } = await runToEnd(spec({ cmd: ['true'], notBefore: at }));
    expect(result.status).toBe('completed');
    expect(result.startedAt!).toBeGreaterThanOrEqual(at);
  });

  it('a stop while waiting for the instant means no spawn', async () => {
    const running = start(spec({ cmd: 'sleep 30', notBefore: Date.now() + 5_000 }));
    await new Promise((resolve) => setImmediate(resolve)); // the cwd check is done and the wait for the instant begun
    running.stop('cancelled');
    const result = await running.result;
    expect(result).toMatchObject({ status: 'cancelled', pid: null, startedAt: null });
    expect(running.events).toEqual([]);
  });

  it('a second stop or a deadline after a stop changes nothing', async () => {
    const running = start(spec({ cmd: 'sleep 30', lifetimeMs: 150, graceMs: 2_000 }));
    await running.started;
    running.stop('shutdown');
    running.stop('cancelled');
    const result = await running.result;
    expect(result).toMatchObject({ status: 'cancelled', stopReason: 'shutdown' });
  });
});

describe('worker run: output', () => {
  it('the log is capped, with a truncation note; the tail keeps the real end', async () => {
    const runSpec = spec({ cmd: `sh ${scripts}print-lines.sh 100000`, logCapBytes: 1000, tailBytes: 13 });
    const { result, log } = await runToEnd(runSpec);
    const note = '[mxx] output truncated after 1000 bytes\n';
    expect(result).toMatchObject({ status: 'completed', truncated: true, outputBytes: 588_895, tail: '99999\n100000\n' });
    expect(log.endsWith(`\n${note}`)).toBe(true);
    expect(statSync(runSpec.logPath).size).toBeLessThanOrEqual(1000 + 1 + note.length);
    expect(log.startsWith('1\n2\n3\n')).toBe(true);
  });

  it('100 000 lines all reach the log, in order', async () => {
    const { result, log } = await runToEnd(spec({ cmd: 'seq 1 100000' }));
    expect(result).toMatchObject({ status: 'completed', truncated: false, outputBytes: 588_895 });
    const lines = log.split('\n');
    expect(lines.length).toBe(100_001);
    expect(lines.at(-1)).toBe('');
    for (let i = 0; i < 100_000; i++) if (lines[i] !== String(i + 1)) expect.fail(`line ${i + 1} is ${lines[i]}`);
  });

  it('the tail holds the last bytes only', async () => {
    const { result } = await runToEnd(spec({ cmd: "printf 'hello world, the end'", tailBytes: 7 }));
    expect(result.tail).toBe('the end');
  });

  it('output events are batched wake-ups carrying the log size', async () => {
    const { events, result } = await runToEnd(spec({ cmd: 'for i in 1 2 3 4 5 6; do echo $i; sleep 0.08; done' }));
    const outputs = events.filter((event) => event.type === 'output');
    expect(outputs.length).toBeGreaterThanOrEqual(3);
    expect(outputs.length).toBeLessThanOrEqual(6);
    const sizes = outputs.map((event) => event.bytes);
    expect(sizes).toEqual([...sizes].sort((a, b) => a - b));
    expect(sizes.at(-1)).toBe(result.outputBytes);
  });
});

describe('worker run: kill names', () => {
  /** A copy of `sleep` under a unique name, started outside the run's process group. */
  function escapedSleeper(): { name: string; cmd: string[] } {
    const name = `mxk${process.pid.toString(36)}${(++counter).toString(36)}`.slice(0, 15);
    const path = join(dir, name);
    copyFileSync(realpathSync('/bin/sleep'), path);
    names.add(name);
    const launcher = `require('child_process').spawn(${JSON.stringify(path)},['30'],{detached:true,stdio:'ignore'}).unref()`;
    return { name, cmd: [process.execPath, '-e', launcher] };
  }

  it('the run lasts its lifetime although the launcher exits; the named process ends with it', async () => {
    const { name, cmd } = escapedSleeper();
    const running = start(spec({ cmd, kill: [name], lifetimeMs: 1_000, graceMs: 300 }));
    const started = await running.started;
    await waitPidGone(started.pid); // the launcher is done…
    expect(processesNamed(name)).toHaveLength(1); // …the escaped process lives on, out of the group
    const result = await running.result;
    expect(result).toMatchObject({ status: 'completed', exitCode: 0, error: null });
    expect(result.endedAt - result.startedAt!).toBeGreaterThanOrEqual(1_000);
    expect(processesNamed(name)).toEqual([]);
  });

  it('a failing launcher ends the run at once, failed, and still ends the named processes', async () => {
    const { name, cmd } = escapedSleeper();
    const failing = [...cmd.slice(0, 2), `${cmd[2]};process.exitCode=4`];
    const result = await start(spec({ cmd: failing, kill: [name], lifetimeMs: 10_000, graceMs: 300 })).result;
    // Failed, not completed by the lifetime (10 s): the launcher's failure ended the run.
    expect(result).toMatchObject({ status: 'failed', exitCode: 4, error: 'exited with code 4' });
    expect(result.endedAt - result.startedAt!).toBeLessThan(10_000);
    expect(processesNamed(name)).toEqual([]);
  });

  it('a stop ends a kill-mode run as cancelled', async () => {
    const { name, cmd } = escapedSleeper();
    const running = start(spec({ cmd, kill: [name], lifetimeMs: 10_000, graceMs: 300 }));
    await running.started;
    await waitFor(() => processesNamed(name).length === 1, 10_000, `the escaped ${name} to be up`);
    running.stop('cancelled');
    expect(await running.result).toMatchObject({ status: 'cancelled', stopReason: 'cancelled' });
    expect(processesNamed(name)).toEqual([]);
  });
});

describe('worker run: the piscina task over a port', () => {
  it('posts started and output on the port, takes stop from it, and closes it', async () => {
    const { port1, port2 } = new MessageChannel();
    const events: RunEvent[] = [];
    let closed = false;
    port1.on('message', (event: RunEvent) => {
      events.push(event);
      if (event.type === 'started') groups.add(event.pid);
      if (event.type === 'output') port1.postMessage({ type: 'stop', reason: 'cancelled' });
    });
    port1.on('close', () => (closed = true));
    const result = await run({ ...spec({ cmd: 'echo hi; sleep 30' }), v: PROTOCOL_VERSION, port: port2 });
    expect(result).toMatchObject({ status: 'cancelled', stopReason: 'cancelled', tail: 'hi\n' });
    await waitPidGone(result.pid!);
    expect(await waitFor(() => closed)).toBe(true);
    expect(events.map((event) => event.type)).toEqual(['started', 'output']);
  });

  it('a request in another protocol version is refused, never run', async () => {
    const { port1, port2 } = new MessageChannel();
    const request = { ...spec({ cmd: 'echo never' }), v: (PROTOCOL_VERSION + 1) as typeof PROTOCOL_VERSION, port: port2 };
    const result = await run(request);
    expect(result).toMatchObject({ status: 'failed', pid: null, error: `protocol version ${PROTOCOL_VERSION + 1} is not spoken by this worker (${PROTOCOL_VERSION})` });
    port1.close();
  });

  it('a stop queued before the task began means no spawn', async () => {
    const { port1, port2 } = new MessageChannel();
    port1.postMessage({ type: 'stop', reason: 'shutdown' });
    const result = await run({ ...spec({ cmd: 'sleep 30' }), v: PROTOCOL_VERSION, port: port2 });
    expect(result).toMatchObject({ status: 'cancelled', stopReason: 'shutdown', pid: null });
    port1.close();
  });
});

const canMount = ((): boolean => {
  if (process.platform !== 'linux') return false;
  try {
    return execFileSync('id', ['-u'], { encoding: 'utf8' }).trim() === '0';
  } catch {
    return false;
  }
})();
const noMount = canMount ? '' : ' — skipped: mount -t tmpfs needs root on Linux';

describe('worker run: a log that cannot be written', () => {
  it('the log file is created 0600', async () => {
    const runSpec = spec({ cmd: 'echo secret' });
    await runToEnd(runSpec);
    expect(statSync(runSpec.logPath).mode & 0o777).toBe(0o600);
  });

  it.skipIf(!canMount)(`a full disk (ENOSPC) does not hang the run: it completes, the tail has the end, the result says why${noMount}`, async () => {
    const mount = await smallDisk(mounts);
    if (mount === null) return expect.fail('mount -t tmpfs failed although we are root');
    const { result } = await runToEnd(spec({ cmd: 'head -c 300000 /dev/zero; echo done', logPath: join(mount, 'full.log') }));
    expect(result).toMatchObject({ status: 'completed', exitCode: 0, outputBytes: 300_005, truncated: true });
    expect(result.tail.endsWith('done\n')).toBe(true);
    expect(result.logError).toMatch(/^ENOSPC/);
    expect(result.error).toMatch(/^output not saved: ENOSPC/);
  }, 20_000);

  it.skipIf(!canMount)(`a log that cannot be opened (EROFS) does not stop the spawn: the run runs, output in the tail${noMount}`, async () => {
    const mount = await smallDisk(mounts, { readOnly: true });
    if (mount === null) return expect.fail('mount -t tmpfs failed although we are root');
    const result = await start(spec({ cmd: 'head -c 300000 /dev/zero; echo done', logPath: join(mount, 'ro.log') })).result;
    expect(result).toMatchObject({ status: 'completed', exitCode: 0, outputBytes: 300_005 });
    expect(result.pid).toBeGreaterThan(0);
    expect(result.tail.endsWith('done\n')).toBe(true);
    expect(result.logError).toMatch(/^EROFS/);
  }, 20_000);
});


const linux = process.platform === 'linux';
describe.skipIf(!linux)(`worker run: processes that left the group${linux ? '' : ' — skipped: the sweep needs Linux /proc'}`, () => {
  it('a setsid daemon left by a run that exits at once is ended before the result', async () => {
    const runSpec = spec({ cmd: `sh ${scripts}daemonize-setsid.sh` });
    const { result } = await runToEnd(runSpec);
    expect(result).toMatchObject({ status: 'completed', exitCode: 0, strays: 1, tail: 'left a setsid sleep behind\n' });
    expect(runCarriers(runSpec.runId)).toEqual([]);
  });

  it('a python double-fork daemon is ended when the lifetime passes', async () => {
    // python3 takes most of a second to start here: the lifetime leaves it time to daemonize.
    const runSpec = spec({ cmd: `python3 ${scripts}daemonize.py; sleep 30`, lifetimeMs: 3_000, graceMs: 300 });
    const { result } = await runToEnd(runSpec);
    expect(result).toMatchObject({ status: 'timed_out', strays: 1 });
    expect(runCarriers(runSpec.runId)).toEqual([]);
  });

  it('with the sweep off (bench only) the daemon outlives the run', async () => {
    const runSpec = spec({ cmd: `sh ${scripts}double-fork.sh`, sweep: false });
    const { result } = await runToEnd(runSpec);
    expect(result.strays).toBeUndefined();
    const left = runCarriers(runSpec.runId);
    for (const pid of left) process.kill(pid, 'SIGKILL');
    expect(left).toHaveLength(1);
  });
});

describe('worker run: the start instant follows the wall clock the supervisor uses', () => {
  const realNow = Date.now.bind(Date);

  it('after a forward jump of the wall clock (monotonic clock unmoved) a run is not parked for the jump', async () => {
    // As under libfaketime moving only CLOCK_REALTIME: Date.now() is an hour ahead of
    // performance.timeOrigin + performance.now(), and the supervisor computed notBefore from Date.now().
    const clock = vi.spyOn(Date, 'now').mockImplementation(() => realNow() + 3_600_000);
    try {
      const notBefore = Date.now() + 200;
      const { result } = await runToEnd(spec({ cmd: ['true'], notBefore }));
      expect(result.status).toBe('completed');
      expect(result.startedAt!).toBeGreaterThanOrEqual(notBefore);
    } finally {
      clock.mockRestore();
    }
  }, 10_000);

  it('a wall clock moved back while waiting does not park the run beyond the delay measured on arrival', async () => {
    const notBefore = Date.now() + 300;
    const running = start(spec({ cmd: ['true'], notBefore }));
    await new Promise((resolve) => setImmediate(resolve)); // the request has arrived and its wait begun
    const clock = vi.spyOn(Date, 'now').mockImplementation(() => realNow() - 3_600_000);
    try {
      expect(await running.result).toMatchObject({ status: 'completed' });
    } finally {
      clock.mockRestore();
    }
  }, 10_000);

  it('a wall clock moved back during the grace neither stretches it nor parks the run', async () => {
    const running = start(spec({ cmd: ['/bin/sh', `${scripts}ignore-sigterm.sh`], graceMs: 300 }));
    await running.started;
    const ready = (): boolean => {
      try {
        return running.log() === 'ready\n';
      } catch {
        return false; // the log file is opened a moment after the spawn
      }
    };
    expect(await waitFor(ready)).toBe(true);
    running.stop('cancelled');
    const clock = vi.spyOn(Date, 'now').mockImplementation(() => realNow() - 3_600_000);
    try {
      expect(await running.result).toMatchObject({ status: 'cancelled', signal: 'SIGKILL' });
    } finally {
      clock.mockRestore();
    }
  }, 10_000);
});
