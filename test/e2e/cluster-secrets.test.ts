/**
 * The store's password never shows (SPEC §15: "the connection string is never logged"). A real
 * PostgreSQL with a role that has a password; real `mxx server --store postgres://…` processes at
 * debug level. The password appears in none of: the server's log (text and JSON) while it works,
 * while its connections are cut, its role refused and the database restarted under it; GET
 * /health, /nodes, /jobs, /runs, /metrics; `mxx health`, `mxx nodes`, `mxx config` (and --json)
 * with the URL from the flag, MXX_STORE or config.toml; the error of a server whose database does
 * not answer (a closed port), nor an unparseable URL; a job's environment (MXX_STORE and
 * MXX_API_TOKEN are not inherited).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freeLocalPort } from '../../bench/lib/free-port.js';
import { createTempHome, liveChildren, runCli, startServerProcess, type ServerProcess, type TempHome } from '../_cli.js';
import { usePostgres } from '../_postgres.js';
import { waitFor } from '../_server.js';

const db = usePostgres();
const ROLE = 'mxx_secret';
/** What must never show; the rest of the password needs percent-encoding in a URL. */
const SECRET = 'SECRETPASSWORD';
const PASSWORD = `${SECRET}:p@ss/w0rd`;
/** Every form the password could take in an answer or a log line. */
const FORMS = [SECRET, PASSWORD, encodeURIComponent(PASSWORD), JSON.stringify(PASSWORD).slice(1, -1)];
const LEASE_MS = 1500;

const homes: TempHome[] = [];
const servers: ServerProcess[] = [];

async function admin<T>(body: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: db.adminUrl });
  await client.connect();
  try {
    return await body(client);
  } finally {
    await client.end();
  }
}

/** A database owned by ROLE, and the URL that logs in to it with the password. */
async function secretStore(): Promise<string> {
  const name = `mxx_secret_${randomBytes(4).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${c.escapeIdentifier(name)} OWNER ${ROLE}`));
  return `postgres://${ROLE}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${db.port}/${name}`;
}

/** Cuts every connection ROLE has; resolves how many there were. */
const cutConnections = (): Promise<number> =>
  admin(async (c) => (await c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1`, [ROLE])).rowCount ?? 0);

function expectNoSecret(text: string, where: string): void {
  for (const form of FORMS) {
    const at = text.indexOf(form);
    expect(at, `${where} shows the password (${JSON.stringify(form)}) at: ${JSON.stringify(text.slice(Math.max(0, at - 120), at + 60))}`).toBe(-1);
  }
}

async function newHome(): Promise<TempHome> {
  const home = await createTempHome();
  home.env.MXX_LEASE_MS = String(LEASE_MS);
  homes.push(home);
  return home;
}

async function start(home: TempHome, args: string[]): Promise<ServerProcess> {
  const server = await startServerProcess(home, { args });
  servers.push(server);
  return server;
}

async function get(url: string, path: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`${url}${path}`);
  return { status: res.status, text: await res.text() };
}

beforeAll(async () => {
  await admin((c) => c.query(`CREATE ROLE ${ROLE} LOGIN PASSWORD '${PASSWORD.replace(/'/g, "''")}'`));
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => (s.child.exitCode === null && s.child.signalCode === null ? s.stop() : Promise.resolve(0))));
});
afterAll(async () => {
  for (const home of homes) await home.cleanup();
  expect(liveChildren()).toBe(0);
});

describe('the store password never shows', () => {
  it('a server at debug level on a password store: log, API answers and CLI output, also while the database is cut, refused and restarted under it', async () => {
    const url = await secretStore();
    // The password really is needed: without it the database refuses the role.
    await expect(new pg.Client({ connectionString: url.replace(encodeURIComponent(PASSWORD), 'wrong') }).connect()).rejects.toThrow(/password authentication failed/);

    const home = await newHome();
    const server = await start(home, ['--store', url, '--debug', '--label', 'secret-test']);
    const api = `${server.url}/api/scheduler`;
    expect(server.output()).toContain(`postgres://${ROLE}:***@127.0.0.1:${db.port}/`);

    // Work that touches the store: a job firing every second, a manual run.
    const registered = await fetch(`${api}/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ job_id: 'tick', config: { os: { cmd: 'echo tick' }, schedule: { trigger: 'interval', seconds: 1 } } }),
    });
    expect(registered.status, await registered.text()).toBe(201);
    const triggered = (await (await fetch(`${api}/jobs/tick/trigger`, { method: 'POST' })).json()) as { run_id: string };
    await waitFor(async () => ['completed', 'failed'].includes(((await (await fetch(`${api}/runs/${triggered.run_id}`)).json()) as { status: string }).status), 10_000, 'the manual run');

    // API answers.
    for (const path of ['/health', '/nodes', '/jobs', '/jobs/tick', '/runs', `/runs/${triggered.run_id}`, `/runs/${triggered.run_id}/log`, '/registry']) {
      const answer = await get(api, path);
      expect(answer.status, `${path}: ${answer.text}`).toBe(200);
      expectNoSecret(answer.text, `GET ${path}`);
    }
    const health = JSON.parse((await get(api, '/health')).text) as { store: { kind: string; connected: boolean } };
    expect(health.store).toEqual({ kind: 'postgres', connected: true });
    const nodes = await get(api, '/nodes');
    expect(nodes.text).toContain('"store":"postgres"');
    const metrics = await get(server.url, '/metrics');
    expect(metrics.status).toBe(200);
    expectNoSecret(metrics.text, 'GET /metrics');

    // CLI output: the client commands, and mxx config with the URL from each source.
    for (const args of [['health'], ['health', '--json'], ['nodes'], ['nodes', '--json'], ['list'], ['runs', 'tick']]) {
      const r = await runCli([...args, '--server', server.url], { env: home.env });
      expect(r.code, `mxx ${args.join(' ')}: ${r.stderr}`).toBe(0);
      expectNoSecret(r.stdout + r.stderr, `mxx ${args.join(' ')}`);
    }
    const configFile = await home.write('server.toml', `store = ${JSON.stringify(url)}\n`);
    const sources: Array<[string, string[], NodeJS.ProcessEnv]> = [
      ['--store', ['--store', url], home.env],
      ['MXX_STORE', [], { ...home.env, MXX_STORE: url }],
      ['config.toml', ['--config', configFile], home.env],
    ];
    for (const [source, args, env] of sources) {
      for (const json of [[], ['--json']]) {
        const r = await runCli(['config', ...args, ...json], { env });
        expect(r.code, `mxx config (${source}) ${json.join(' ')}: ${r.stderr}`).toBe(0);
        expect(r.stdout, source).toContain(`postgres://${ROLE}:***@127.0.0.1:${db.port}/`);
        expectNoSecret(r.stdout + r.stderr, `mxx config ${json.join(' ')} with the store from ${source}`);
      }
    }

    // The database under it: every connection cut (listener, pool), then the role refused for a
    // while (each reconnect fails), then the database stopped and started.
    const before = server.output().length;
    expect(await cutConnections()).toBeGreaterThan(0);
    await waitFor(() => /store postgres:\/\/[^\s]*\*\*\*@/.test(server.output().slice(before)), 10_000, 'the server to log the cut connection');
    await admin((c) => c.query(`ALTER ROLE ${ROLE} NOLOGIN`));
    await cutConnections();
    await waitFor(() => /not permitted to log in/.test(server.output().slice(before)), 10_000, 'a refused reconnect in the log');
    expectNoSecret((await get(api, '/health')).text, 'GET /health with the store refused');
    expectNoSecret((await get(api, '/nodes')).text, 'GET /nodes with the store refused');
    const trigger = await fetch(`${api}/jobs/tick/trigger`, { method: 'POST' });
    expectNoSecret(await trigger.text(), `a trigger with the store refused (${trigger.status})`);
    await admin((c) => c.query(`ALTER ROLE ${ROLE} LOGIN`));
    await db.restart();
    await waitFor(async () => {
      const h = await get(api, '/health');
      return h.status === 200 && (JSON.parse(h.text) as { store: { connected: boolean }; cluster?: { live?: boolean } }).store.connected;
    }, 15_000, 'the store to be connected again');
    // A full heartbeat and a few fires after the restart.
    await new Promise((resolve) => setTimeout(resolve, LEASE_MS));
    const during = server.output().slice(before);
    expect(during, 'the outage was logged').toMatch(/error|warn/i);
    expectNoSecret(during, 'the server log during the outage');

    const code = await server.stop();
    expect(code, `the server's exit after SIGTERM (signal ${String(server.child.signalCode)}); its log ends:\n${server.output().slice(-3000)}`).toBe(0);
    const log = server.output();
    // Debug level really was on: requests are logged.
    expect(log).toMatch(/DEBUG request method=GET path=\/api\/scheduler\/health/);
    expectNoSecret(log, 'the server log');
  }, 90_000);

  it('a server whose database does not answer (a closed port): its error names the store with the password masked, in text and JSON logs, from the flag, MXX_STORE and config.toml', async () => {
    const closed = `postgres://${ROLE}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${await freeLocalPort()}/nowhere`;
    const home = await newHome();
    const configFile = await home.write('closed.toml', `store = ${JSON.stringify(closed)}\n`);
    const variants: Array<[string, string[], NodeJS.ProcessEnv]> = [
      ['--store, text log', ['--store', closed, '--debug'], home.env],
      ['MXX_STORE, JSON log', ['--debug', '--log-format', 'json'], { ...home.env, MXX_STORE: closed, MXX_DEBUG: '1' }],
      ['config.toml', ['--config', configFile], home.env],
    ];
    for (const [what, args, env] of variants) {
      const refused = await startServerProcess({ ...home, env }, { args }).then(
        (server) => {
          servers.push(server);
          throw new Error(`${what}: the server started on a closed port`);
        },
        (error: Error) => error.message,
      );
      expect(refused, what).toMatch(/exited \(1\) before listening/);
      expect(refused, what).toContain(`postgres://${ROLE}:***@127.0.0.1:`);
      expect(refused, what).toContain('ECONNREFUSED');
      expectNoSecret(refused, `the refused server's output (${what})`);
    }
  }, 60_000);

  it('an unparseable store URL: the server refuses it, the password masked', async () => {
    // WHATWG URL gives up on a port past 65535, so the masking falls back to a pattern.
    const bad = `postgres://${ROLE}:${SECRET}@127.0.0.1:99999/db`;
    const home = await newHome();
    const refused = await startServerProcess(home, { args: ['--store', bad] }).then(
      (server) => {
        servers.push(server);
        throw new Error('the server started');
      },
      (error: Error) => error.message,
    );
    expect(refused).toMatch(/exited \(2\) before listening/);
    expect(refused).toContain('not a URL');
    expect(refused).toContain(`postgres://${ROLE}:***@127.0.0.1:99999/db`);
    expectNoSecret(refused, 'the refusal of an unparseable store URL');
  });

  it('an unparseable URL whose password holds a raw @ is masked up to its last @', async () => {
    const bad = `postgres://${ROLE}:pre@${SECRET}@127.0.0.1:99999/db`;
    const home = await newHome();
    const refused = await startServerProcess(home, { args: ['--store', bad] }).then(
      async (server) => {
        servers.push(server);
        return server.output();
      },
      (error: Error) => error.message,
    );
    expect(refused).toContain('not a URL');
    expectNoSecret(refused, 'the refusal of an unparseable store URL');
  });

  it('mxx config masks the password of an unparseable store URL', async () => {
    const bad = `postgres://${ROLE}:${SECRET}@127.0.0.1:99999/db`;
    const home = await newHome();
    for (const json of [[], ['--json']]) {
      const r = await runCli(['config', '--store', bad, ...json], { env: home.env });
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('127.0.0.1:99999/db');
      expectNoSecret(r.stdout + r.stderr, `mxx config ${json.join(' ')} with an unparseable store URL`);
    }
  });

  it('a job does not inherit MXX_STORE nor MXX_API_TOKEN from the server: a job printing its environment shows neither', async () => {
    const url = await secretStore();
    const home = await newHome();
    const token = 'TOKENSECRET-never-in-a-run';
    home.env.MXX_STORE = url;
    home.env.MXX_API_TOKEN = token;
    const server = await start(home, []);
    const api = `${server.url}/api/scheduler`;
    const auth = { authorization: `Bearer ${token}` };
    const call = async (path: string, init: RequestInit = {}): Promise<Response> => fetch(`${api}${path}`, { ...init, headers: { ...auth, ...(init.headers ?? {}) } });
    const registered = await call('/jobs', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      // A job that asks for a variable by name in its env still gets it.
      body: JSON.stringify({ job_id: 'printenv', config: { os: { cmd: 'env', env: { MXX_WANTED: 'given' } } } }),
    });
    expect(registered.status).toBe(201);
    const { run_id } = (await (await call('/jobs/printenv/trigger', { method: 'POST' })).json()) as { run_id: string };
    await waitFor(async () => ((await (await call(`/runs/${run_id}`)).json()) as { status: string }).status === 'completed', 10_000, 'the run');
    const log = await (await call(`/runs/${run_id}/log`)).text();
    expect(log).toContain('HOME=');
    expect(log).toContain('MXX_WANTED=given');
    expect(log).not.toContain('MXX_STORE=');
    expect(log).not.toContain('MXX_API_TOKEN=');
    expect(log).not.toContain(token);
    expectNoSecret(log, 'the run log of a job printing its environment');
    expectNoSecret(await (await call(`/runs/${run_id}`)).text(), 'the run record (output tail)');
  });
});
