/**
 * `mxx nodes` through the real CLI binary: a files-store server lists itself alone; two real
 * servers on one real PostgreSQL are both listed and alive, the one answering marked; a server
 * killed with SIGKILL is listed as lapsed once its (short) lease runs out; an unreachable server is
 * exit 3.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { NodesBody } from '../../src/api/types.js';
import { api, createTempHome, liveChildren, runCli, startServerProcess, type CliResult, type ServerProcess, type TempHome } from '../_cli.js';
import { usePostgres } from '../_postgres.js';
import { waitFor } from '../_server.js';

const pg = usePostgres();
const homes: TempHome[] = [];
const servers: ServerProcess[] = [];
const LEASE_MS = 1000;

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => (s.child.exitCode === null && s.child.signalCode === null ? s.stop() : Promise.resolve(0))));
});
afterAll(async () => {
  for (const home of homes) await home.cleanup();
  expect(liveChildren()).toBe(0);
});

async function start(store?: string, args: string[] = []): Promise<{ server: ServerProcess; home: TempHome }> {
  const home = await createTempHome();
  homes.push(home);
  if (store) {
    home.env.MXX_STORE = store;
    home.env.MXX_LEASE_MS = String(LEASE_MS);
  }
  const server = await startServerProcess(home, { args });
  servers.push(server);
  return { server, home };
}

const nodes = (server: ServerProcess, home: TempHome, args: string[] = []): Promise<CliResult> =>
  runCli(['nodes', '--server', server.url, ...args], { env: home.env });

/** The table row of node `id` (its cell is the id, `*` after it on the server that answered). */
const rowOf = (out: string, id: string): string | undefined => out.split('\n').find((line) => line.startsWith(`${id} `) || line.startsWith(`${id}* `));

describe('mxx nodes, files store', () => {
  it('one row: this server, marked, alive; the store said on the first line', async () => {
    const { server, home } = await start(undefined, ['--label', 'edge']);
    const r = await nodes(server, home);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('files store: this server only');
    expect(lines[1]).toMatch(/^ID\s+HOST\s+URL\s+LABELS\s+LEASE AGE\s+RUNNING\s+VERSION\s+STATE$/);
    // Header, one row, the footnote on the mark.
    expect(lines).toHaveLength(4);
    const row = lines[2]!;
    expect(row).toMatch(/^local\* /);
    expect(row).toContain(server.url);
    expect(row).toContain(' edge ');
    expect(row).toMatch(/\salive$/);
    expect(lines[3]).toBe(`* the server that answered (${server.url})`);

    const json = await nodes(server, home, ['--json']);
    expect(json.code, json.stderr).toBe(0);
    const body = JSON.parse(json.stdout) as NodesBody;
    expect(body).toEqual(await api<NodesBody>(server.url, '/nodes'));
    expect(body.store).toBe('files');
    expect(body.nodes).toHaveLength(1);
    expect(body.nodes[0]).toMatchObject({ id: 'local', url: server.url, labels: ['edge'], alive: true, self: true, running: 0 });
  });

  it('exit 3 when the server cannot be reached', async () => {
    const { server, home } = await start();
    expect(await server.stop()).toBe(0);
    const r = await nodes(server, home);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('cannot reach the mxx server');
    expect(r.stdout).toBe('');
  });
});

describe('mxx nodes, PostgreSQL store', () => {
  it('two servers: both listed and alive, the answering one marked; --json; killed with SIGKILL: lapsed within the lease', async () => {
    const a = await start(pg.url);
    const b = await start(pg.url, ['--label', 'gpu']);
    await waitFor(async () => (await api<NodesBody>(a.server.url, '/nodes')).nodes.length === 2, 5000, 'both servers in the store');
    const logs = (): string => `--- a:\n${a.server.output()}\n--- b:\n${b.server.output()}`;

    const json = await nodes(b.server, b.home, ['--json']);
    expect(json.code, json.stderr).toBe(0);
    const body = JSON.parse(json.stdout) as NodesBody;
    expect(body.store).toBe('postgres');
    expect(body.nodes).toHaveLength(2);
    const self = body.nodes.find((n) => n.self)!;
    const other = body.nodes.find((n) => !n.self)!;
    expect(self, json.stdout).toBeDefined();
    expect(other, json.stdout).toBeDefined();
    expect(self).toMatchObject({ url: b.server.url, labels: ['gpu'], alive: true, running: 0 });
    expect(other).toMatchObject({ url: a.server.url, labels: [], alive: true, running: 0 });
    expect(self.id).not.toBe(other.id);
    for (const n of body.nodes) {
      expect(Object.keys(n).sort(), JSON.stringify(n)).toEqual(
        ['alive', 'epoch', 'host', 'id', 'labels', 'lease_age_ms', 'running', 'self', 'started_at', 'url', 'version', ...(n.self ? ['skew_ms'] : [])].sort(),
      );
      expect(n.lease_age_ms).toBeGreaterThanOrEqual(0);
      expect(n.lease_age_ms).toBeLessThan(LEASE_MS);
    }
    const aId = other.id;
    const bId = self.id;

    // Asked through A: A is the marked one.
    const table = await nodes(a.server, a.home);
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.split('\n');
    expect(lines[0]).toBe('postgres: 2 servers, 2 alive');
    expect(lines[1]).toMatch(/^ID\s+HOST\s+URL\s+LABELS\s+LEASE AGE\s+RUNNING\s+VERSION\s+STATE\s+SKEW$/);
    const rowA = rowOf(table.stdout, aId);
    const rowB = rowOf(table.stdout, bId);
    expect(rowA, table.stdout).toMatch(new RegExp(`^${aId}\\* `));
    expect(rowB, table.stdout).toMatch(new RegExp(`^${bId} `));
    expect(rowA).toContain(a.server.url);
    expect(rowB).toContain(b.server.url);
    expect(rowB).toContain(' gpu ');
    for (const row of [rowA, rowB]) expect(row).toMatch(/\s\d+s\s+0\s+\S+\s+alive(\s|$)/);
    // The skew is the answering server's own: measured (a sign and a unit) or '-', and on its row only.
    expect(rowA).toMatch(/\salive\s+([+-]\d+(\.\d)?m?s|-)$/);
    expect(rowB).toMatch(/\salive$/);
    expect(table.stdout).toContain(`* the server that answered (${a.server.url})`);

    b.server.child.kill('SIGKILL');
    const killedAt = Date.now();
    const lapsed = await waitFor(
      async () => {
        const r = await nodes(a.server, a.home);
        return r.code === 0 && /\slapsed(\s|$)/.test(rowOf(r.stdout, bId) ?? '') ? r : undefined;
      },
      LEASE_MS + 4000,
      'B listed as lapsed',
    );
    console.log(`killed server listed as lapsed after ${Date.now() - killedAt} ms (lease ${LEASE_MS} ms)`);
    expect(lapsed.stdout.split('\n')[0], logs()).toBe('postgres: 2 servers, 1 alive');
    expect(rowOf(lapsed.stdout, aId)).toMatch(/\salive\s/);
    expect((await api<NodesBody>(a.server.url, '/nodes')).nodes.find((n) => n.id === bId)).toMatchObject({ alive: false });

    // Colours: lapsed in red, alive in green.
    const colored = await runCli(['nodes', '--server', a.server.url], { env: { ...a.home.env, FORCE_COLOR: '1' } });
    expect(colored.stdout).toContain('\u001b[31mlapsed\u001b[39m');
    expect(colored.stdout).toContain('\u001b[32malive\u001b[39m');

    // B itself is gone: asking it is exit 3.
    expect((await nodes(b.server, b.home)).code).toBe(3);
  }, 60_000);
});

describe('mxx runs names the server of each run', () => {
  const runOnce = async (server: ServerProcess): Promise<string> => {
    const posted = await fetch(`${server.url}/api/scheduler/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ job_id: 'hello', config: { os: { cmd: 'true' } } }),
    });
    expect(posted.status).toBe(201);
    const { run_id } = (await (await fetch(`${server.url}/api/scheduler/jobs/hello/trigger`, { method: 'POST' })).json()) as { run_id: string };
    await waitFor(async () => (await api<{ status: string }>(server.url, `/runs/${run_id}`)).status === 'completed', 10_000, 'the run');
    return run_id;
  };

  it('on a shared store: a NODE column with the server that ran it; on one server: none', async () => {
    const shared = await start(pg.url);
    const runId = await runOnce(shared.server);
    const self = (await api<NodesBody>(shared.server.url, '/nodes')).nodes.find((n) => n.self)!;
    for (const args of [['runs', 'hello'], ['runs']]) {
      const r = await runCli([...args, '--server', shared.server.url], { env: { ...shared.home.env, NO_COLOR: '1' } });
      expect(r.code, r.stderr).toBe(0);
      const [header, row] = r.stdout.split('\n');
      expect(header, r.stdout).toMatch(/^RUN\s.*\sNODE\s+TRIGGER\s/);
      expect(row, r.stdout).toContain(runId);
      expect(row, r.stdout).toContain(` ${self.id} `);
    }
    const single = await start();
    await runOnce(single.server);
    const r = await runCli(['runs', 'hello', '--server', single.server.url], { env: { ...single.home.env, NO_COLOR: '1' } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).not.toContain('NODE');
  });
});
