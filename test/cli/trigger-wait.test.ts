/** `mxx trigger ID --wait [--follow]` and `mxx logs --follow`: the run's end is the command's exit code. */
import { spawn } from 'node:child_process';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binPath, createTempHome, liveChildren, runCli, startServerProcess, type CliResult, type TempHome } from '../_cli.js';
import { startTestServer, waitFor, waitForRun, type TestServer } from '../_server.js';

let home: TempHome;
let server: TestServer;

const mxx = (args: string[], url = server.url): Promise<CliResult> => runCli([...args, '--server', url], { env: home.env, cwd: home.dir });

async function register(id: string, config: Record<string, unknown>): Promise<void> {
  const { status, body } = await server.call('/jobs', { method: 'POST', json: { job_id: id, config } });
  expect(status, JSON.stringify(body)).toBe(201);
}

/** The final status line: `run <id> of <job> <status>: <facts>`. */
const endLine = (job: string, status: string, facts: string): RegExp => new RegExp(`^run \\S+ of ${job} ${status}: ${facts}`, 'm');

/** Starts the CLI in the background; resolves once it printed `ready` on stdout or stderr. */
function startCli(args: string[], ready: RegExp): Promise<{ exit: Promise<{ code: number | null; stdout: string; stderr: string }>; kill: (signal: NodeJS.Signals) => void }> {
  const child = spawn(process.execPath, [binPath('mxx'), ...args], { env: home.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const exit = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (ready.test(stdout) || ready.test(stderr)) resolve({ exit, kill: (signal) => child.kill(signal) });
    };
    child.stdout.setEncoding('utf8').on('data', (d: string) => ((stdout += d), check()));
    child.stderr.setEncoding('utf8').on('data', (d: string) => ((stderr += d), check()));
    void exit.then((r) => reject(new Error(`mxx ${args.join(' ')} exited (${r.code}) before ${ready}:\n${r.stdout}\n${r.stderr}`)));
  });
}

beforeAll(async () => {
  home = await createTempHome();
  server = await startTestServer();
  await register('ok', { os: { cmd: 'echo hello-from-ok' } });
  await register('fails', { os: { cmd: 'echo about-to-fail; exit 3' } });
  await register('slow', { os: { cmd: 'sleep 30' }, lifetime: { lifetime: 1, grace: 1 } });
  await register('talker', { os: { cmd: 'echo first; sleep 0.3; printf second' } });
  await register('queued', { os: { cmd: 'sleep 0.5; echo queued-ran' }, policy: { overlap: 'queue' } });
  await register('sleeper', { os: { cmd: 'sleep 30' } });
  await register('dropped', { os: { cmd: 'echo first; sleep 1; echo second' } });
});

afterAll(async () => {
  await server?.dispose();
  expect(liveChildren()).toBe(0);
  await home?.cleanup();
});

describe('mxx trigger --wait', () => {
  it('exits 0 for a completed run, with the status line', async () => {
    const r = await mxx(['trigger', 'ok', '--wait']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^triggered ok: run \S+; waiting for it to end$/m);
    expect(r.stdout).toMatch(endLine('ok', 'completed', 'exit code 0, \\d+ms|exit code 0, [\\d.]+s'));
    // Without --follow the output is not printed.
    expect(r.stdout).not.toContain('hello-from-ok');
  });

  it('exits 1 for a failed run, with its exit code', async () => {
    const r = await mxx(['trigger', 'fails', '--wait']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(endLine('fails', 'failed', 'exit code 3, \\S+$'));
    expect(r.stderr).toBe('');
  });

  it('exits 1 for a timed-out run, saying why', async () => {
    const r = await mxx(['trigger', 'slow', '--wait']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(endLine('slow', 'timed_out', 'signal SIGTERM, [\\d.]+s \\(lifetime of 1s passed\\)'));
  });

  it('waits for a queued run too', async () => {
    const { body: first } = await server.call('/jobs/queued/trigger', { method: 'POST' });
    const r = await mxx(['trigger', 'queued', '--wait']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^queued queued: run \S+; waiting for it to end$/m);
    expect(r.stdout).toMatch(endLine('queued', 'completed', 'exit code 0'));
    // The first run had ended before the queued one could start.
    expect((await waitForRun(server, first.run_id)).status).toBe('completed');
  });

  it('--json prints the final run record', async () => {
    const r = await mxx(['trigger', 'fails', '--wait', '--json']);
    expect(r.code).toBe(1);
    const record = JSON.parse(r.stdout);
    expect(record).toMatchObject({ job_id: 'fails', status: 'failed', exit_code: 3 });
    expect(record.run_id).toEqual(expect.any(String));
  });

  it('--follow prints the output as written on stdout, then the status line on stderr', async () => {
    const r = await mxx(['trigger', 'talker', '--follow']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('first\nsecond');
    expect(r.stderr).toMatch(/^triggered talker: run \S+; waiting for it to end\n/);
    expect(r.stderr).toMatch(endLine('talker', 'completed', 'exit code 0'));
  });

  it('--follow of a failing run prints its output and exits 1', async () => {
    const r = await mxx(['trigger', 'fails', '--wait', '--follow']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('about-to-fail\n');
    expect(r.stderr).toMatch(endLine('fails', 'failed', 'exit code 3'));
  });

  it('--follow with --json is a usage error, and nothing is triggered', async () => {
    const before = (await server.call('/jobs/ok/runs')).body.count;
    const r = await mxx(['trigger', 'ok', '--follow', '--json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--wait --json');
    expect((await server.call('/jobs/ok/runs')).body.count).toBe(before);
  });

  it('Ctrl-C stops waiting with exit 130 and leaves the run running', async () => {
    const cli = await startCli(['trigger', 'sleeper', '--wait', '--server', server.url], /waiting for it to end/);
    cli.kill('SIGINT');
    const r = await cli.exit;
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/^stopped waiting; run (\S+) goes on \(stop it with: mxx stop sleeper\)$/m);
    const runId = /run (\S+) goes on/.exec(r.stderr)![1]!;
    expect((await server.call(`/runs/${runId}`)).body.status).toBe('running');
    await server.call('/jobs/sleeper/stop', { method: 'POST' });
    expect((await waitForRun(server, runId)).status).toBe('cancelled');
  });
});

describe('mxx logs --follow', () => {
  it('ends with the status line and exits 1 for a failed run', async () => {
    const { body } = await server.call('/jobs/fails/trigger', { method: 'POST' });
    const r = await mxx(['logs', 'fails', '--run', body.run_id, '--follow']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('about-to-fail\n');
    expect(r.stderr).toMatch(new RegExp(`^run ${body.run_id} of fails failed: exit code 3`, 'm'));
  });

  it('exits 0 for a completed run, following it while it runs', async () => {
    const { body } = await server.call('/jobs/talker/trigger', { method: 'POST' });
    const r = await mxx(['logs', 'talker', '--follow']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('first\nsecond');
    expect(r.stderr).toMatch(new RegExp(`^run ${body.run_id} of talker completed: exit code 0`, 'm'));
  });

  it('without --follow keeps exit 0 for a failed run', async () => {
    const r = await mxx(['logs', 'fails']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('about-to-fail\n');
    expect(r.stderr).toBe('');
  });
});

/** A TCP proxy to the test server whose open connections can be cut at once. */
async function startProxy(target: URL): Promise<{ url: string; cut(): number; close(): Promise<void> }> {
  const open = new Set<Socket>();
  const proxy: Server = createServer((client) => {
    const upstream = createConnection(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
      socket.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const { port } = proxy.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    cut() {
      const count = open.size;
      for (const socket of open) socket.destroy();
      return count;
    },
    close: () => new Promise<void>((resolve) => proxy.close(() => resolve())),
  };
}

describe('a connection that drops while waiting', () => {
  it('is resumed: the output is printed once, the exit code is the run\'s', async () => {
    const proxy = await startProxy(new URL(server.url));
    try {
      const cli = await startCli(['trigger', 'dropped', '--follow', '--server', proxy.url], /^first$/m);
      expect(proxy.cut()).toBeGreaterThan(0);
      const r = await cli.exit;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe('first\nsecond\n');
      expect(r.stderr).toMatch(endLine('dropped', 'completed', 'exit code 0'));
    } finally {
      await proxy.close();
    }
  });
});

describe('a server that goes away while waiting', () => {
  it('exit 3, not 0', async () => {
    const own = await createTempHome();
    await own.write('sleepy.toml', '[os]\ncmd = "sleep 30"\n');
    const proc = await startServerProcess(own);
    let pid: number | undefined;
    try {
      expect((await runCli(['register', 'sleepy.toml', '--server', proc.url], { env: own.env, cwd: own.dir })).code).toBe(0);
      const cli = await startCli(['trigger', 'sleepy', '--follow', '--server', proc.url], /waiting for it to end/);
      const runs = await waitFor(async () => {
        const body = (await (await fetch(`${proc.url}/api/scheduler/runs?job=sleepy&status=running`)).json()) as any;
        return body.runs[0]?.pid ? body.runs : null;
      }, 10_000, 'the run to start');
      pid = runs[0].pid as number;
      proc.child.kill('SIGKILL');
      const r = await cli.exit;
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toMatch(/^Error: cannot reach the mxx server at /m);
    } finally {
      proc.child.kill('SIGKILL');
      await proc.stop();
      // The server was killed: end its run's process group ourselves.
      if (pid) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await own.cleanup();
    }
  });
});
