/** `mxx shutdown`: a real server process stops cleanly, as on SIGTERM, when the API asks it to. */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitPidGone, isPidAlive } from '../_proc.js';
import { waitFor } from '../_server.js';
import { createTempHome, liveChildren, runCli, startServerProcess, type ServerProcess, type TempHome } from '../_cli.js';

let home: TempHome;
const servers: ServerProcess[] = [];

beforeEach(async () => {
  home = await createTempHome();
});

afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop();
  await home.cleanup();
});

afterAll(() => {
  expect(liveChildren()).toBe(0);
});

async function start(env: NodeJS.ProcessEnv = {}): Promise<ServerProcess> {
  Object.assign(home.env, env);
  const server = await startServerProcess(home);
  servers.push(server);
  return server;
}

async function call(url: string, method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${url}/api/scheduler${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** Registers a job that sleeps, triggers it and resolves its run id and pid once it runs. */
async function startLongRun(url: string, token?: string): Promise<{ runId: string; pid: number }> {
  const created = await call(url, 'POST', '/jobs', { job_id: 'long', config: { os: { cmd: 'sleep 120' }, lifetime: { grace: 1 } } }, token);
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const { body } = await call(url, 'POST', '/jobs/long/trigger', undefined, token);
  const runId = body.run_id as string;
  const pid = await waitFor(async () => (await call(url, 'GET', `/runs/${runId}`, undefined, token)).body.pid as number | undefined, 5000, 'the run pid');
  return { runId, pid };
}

const mxx = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(args, { env: { ...home.env, ...env }, cwd: home.dir });

describe('mxx shutdown', () => {
  it('stops a running server the way SIGTERM does: exit 0, the run interrupted, its process gone', async () => {
    const server = await start();
    const { runId, pid } = await startLongRun(server.url);
    expect(isPidAlive(pid)).toBe(true);

    const r = await mxx(['shutdown', '--server', server.url]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^server ${server.url.replace(/[.]/g, '\\.')} stopping: 1 run to stop$`, 'm'));
    expect(r.stdout).toMatch(/^server stopped after [\d.]+ s$/m);
    // The command waited: by now the server process has gone, with exit code 0.
    expect(await server.stop()).toBe(0);
    expect(await waitPidGone(pid, 3000)).toBe(true);
    const log = server.output();
    expect(log).toMatch(/shutdown requested through the API .*stopping runs and shutting down/);
    expect(log).toMatch(new RegExp(`run ended job=long run=${runId} status=interrupted`));
    expect(log.trimEnd().split('\n').at(-1)).toMatch(/server stopped$/);

    // The next start finds the run recorded as interrupted, not left running.
    servers.splice(0);
    const again = await start();
    const run = (await call(again.url, 'GET', `/runs/${runId}`)).body;
    expect(run).toMatchObject({ run_id: runId, status: 'interrupted' });
  });

  it('--no-wait answers at once with the API message; --json prints the 202 body', async () => {
    const server = await start();
    const r = await mxx(['shutdown', '--server', server.url, '--no-wait', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ message: 'server stopping', running: 0 });
    expect(await server.stop()).toBe(0);
    expect(server.output()).toMatch(/server stopped/);
  });

  it('with a token configured, needs it: 401 and the server keeps running without; stops with it', async () => {
    const token = 'a-long-enough-test-token';
    const server = await start({ MXX_API_TOKEN: token });
    const refused = await mxx(['shutdown', '--server', server.url], { MXX_API_TOKEN: '' });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/requires an API token/);
    expect((await call(server.url, 'POST', '/shutdown')).status).toBe(401);
    expect((await call(server.url, 'GET', '/health', undefined, token)).status).toBe(200);

    const ok = await mxx(['shutdown', '--server', server.url], { MXX_API_TOKEN: token });
    expect(ok.code, ok.stderr).toBe(0);
    expect(await server.stop()).toBe(0);
  });

  it('a server that is not there: exit 3', async () => {
    const r = await mxx(['shutdown', '--server', 'http://127.0.0.1:9']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/cannot reach the mxx server/);
  });
});
