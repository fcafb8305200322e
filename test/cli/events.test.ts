/** `mxx events` (SPEC §13): the built CLI as a process against a real server. */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ANSI, binPath, createTempHome, runCli, type TempHome } from '../_cli.js';
import { freeLocalPort } from '../../bench/lib/free-port.js';
import { createHome, startTestServer, waitFor, waitForRun, type TestServer } from '../_server.js';

interface Tail {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** JSON lines printed so far. */
  lines(): any[];
  /** SIGINT, then the exit code. */
  interrupt(): Promise<number | null>;
}

const tails = new Set<ChildProcess>();

function tail(args: string[], env: NodeJS.ProcessEnv): Tail {
  const child = spawn(process.execPath, [binPath('mxx'), 'events', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  tails.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      tails.delete(child);
      resolve(code);
    }),
  );
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    lines: () => stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line)),
    interrupt: () => {
      child.kill('SIGINT');
      return exited;
    },
  };
}

async function register(server: TestServer, id: string, headers: Record<string, string> = {}): Promise<void> {
  const { status } = await server.call('/jobs', { method: 'POST', headers, json: { job_id: id, config: { os: { cmd: 'true' } } } });
  expect(status).toBe(201);
}

async function runOnce(server: TestServer, id: string): Promise<string> {
  const { body } = await server.call(`/jobs/${id}/trigger`, { method: 'POST' });
  await waitForRun(server, body.run_id);
  return body.run_id as string;
}

/** Waits until the command has connected: it prints nothing until an event comes, so one is made. */
async function connected(t: Tail, server: TestServer, id: string, headers: Record<string, string> = {}): Promise<void> {
  await waitFor(async () => {
    await server.call(`/jobs/${id}/resume`, { method: 'POST', headers });
    return t.stdout().includes('job.resumed');
  }, 15_000, 'mxx events to connect', 200);
}

let home: TempHome;
beforeAll(async () => {
  home = await createTempHome();
});
afterEach(() => {
  for (const child of tails) child.kill('SIGKILL');
});
afterAll(async () => {
  await home.cleanup();
});

describe('mxx events', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
    await register(server, 'alpha');
    await register(server, 'beta');
  });
  afterAll(async () => {
    await server.dispose();
  });

  it('--json --job prints one event object a line for that job only, and exits 0 on SIGINT', async () => {
    const t = tail(['--json', '--job', 'alpha', '--server', server.url], home.env);
    await connected(t, server, 'alpha');
    await runOnce(server, 'beta');
    const runId = await runOnce(server, 'alpha');
    await waitFor(() => t.lines().some((e) => e.type === 'run.ended' && e.run_id === runId), 10_000, 'run.ended');
    const lines = t.lines();
    expect(lines.every((e) => e.job_id === 'alpha')).toBe(true);
    expect(lines.filter((e) => e.run_id === runId).map((e) => e.type)).toEqual(['run.started', 'run.ended']);
    expect(lines.at(-1)).toMatchObject({ type: 'run.ended', job_id: 'alpha', run_id: runId, status: 'completed', exit_code: 0 });
    expect(typeof lines.at(-1).id).toBe('number');
    expect(await t.interrupt()).toBe(0);
    expect(t.stderr()).toBe('');
  });

  it('prints a line per event for people: time, type, job, run, status, exit code (no colour when piped)', async () => {
    const t = tail(['--type', 'run.ended', '--type', 'job.', '--since', '0', '--server', server.url], home.env);
    await connected(t, server, 'beta');
    // --since 0 replayed what the server holds: the registrations above.
    expect(t.stdout()).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {2}job\.registered {3}alpha {2}via the API, on demand$/m);
    const runId = await runOnce(server, 'alpha');
    await waitFor(() => t.stdout().includes(runId), 10_000, 'the run line');
    expect(t.stdout()).toMatch(new RegExp(`^\\S+ \\S+  run\\.ended {8}alpha  run ${runId}  completed  exit 0  \\d+ms$`, 'm'));
    expect(t.stdout()).not.toContain('run.started');
    expect(t.stdout()).not.toMatch(ANSI);
    expect(await t.interrupt()).toBe(0);
  });

  it('refuses an unknown --type with exit 1, naming the flag and the accepted values', async () => {
    const r = await runCli(['events', '--type', 'run.end', '--server', server.url], { env: home.env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--type "run.end" is not an event type (did you mean "run.ended"?)');
    expect(r.stderr).toContain('run.');
    const since = await runCli(['events', '--since', 'x', '--server', server.url], { env: home.env });
    expect(since.code).toBe(2);
  });
});

describe('mxx events and the connection', () => {
  it('exits 3 when the server cannot be reached at the start', async () => {
    const r = await runCli(['events', '--server', `http://127.0.0.1:${await freeLocalPort()}`], { env: home.env });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('cannot reach the mxx server');
  });

  it('sends MXX_API_TOKEN as the Bearer header', async () => {
    const token = 'events-cli-test-token-0123456789';
    const server = await startTestServer({ token });
    try {
      const refused = await runCli(['events', '--server', server.url], { env: home.env });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('requires an API token');
      const auth = { authorization: `Bearer ${token}` };
      await register(server, 'x', auth);
      const t = tail(['--json', '--server', server.url], { ...home.env, MXX_API_TOKEN: token });
      await connected(t, server, 'x', auth);
      expect(t.lines().at(-1)).toMatchObject({ type: 'job.resumed', job_id: 'x' });
      expect(await t.interrupt()).toBe(0);
    } finally {
      await server.dispose();
    }
  });

  it('reconnects after the server restarts, says so on stderr, and carries on (a reset: the new life starts its ids above the old ones)', async () => {
    const serverHome = await createHome();
    let server = await startTestServer({ home: serverHome });
    const port = server.port;
    try {
      await register(server, 'alpha');
      const t = tail(['--json', '--server', server.url], home.env);
      await connected(t, server, 'alpha');
      for (let i = 0; i < 3; i++) await runOnce(server, 'alpha');
      await waitFor(() => t.lines().filter((e) => e.type === 'run.ended').length === 3, 10_000, 'three runs');
      await server.close();
      await waitFor(() => t.stderr().includes('connection lost'), 10_000, 'the loss to be reported');
      expect(t.lines().at(-1)).toMatchObject({ type: 'server.stopping' });
      const lastId = t.lines().at(-1).id as number;

      server = await startTestServer({ home: serverHome, port });
      await waitFor(() => t.stderr().includes('reconnected'), 15_000, 'the reconnection');
      const runId = await runOnce(server, 'alpha');
      await waitFor(() => t.lines().some((e) => e.run_id === runId && e.type === 'run.ended'), 10_000, 'the run after the restart');
      const reset = t.lines().find((e) => e.type === 'reset');
      expect(reset).toMatchObject({ reason: 'unknown', requested_id: lastId });
      expect(t.stderr()).toMatch(new RegExp(`reconnecting in [\\d.]+s to carry on after event ${lastId}`));
      expect(await t.interrupt()).toBe(0);
    } finally {
      await server.dispose();
    }
  });
});
