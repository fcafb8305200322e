/**
 * Job files on several servers sharing one PostgreSQL store (SPEC §15, issue 15 "Job files in a
 * cluster"). Real `mxx server` processes, each with its own home and jobs folder, on one real
 * PostgreSQL. Each server loads its own folder into the shared registry: a job only one folder
 * defines is everybody's job; the same id with identical content in several folders is one job
 * that outlives any one of the files; the same id with different content is a conflict shown in
 * /health and the log while the first definition stays — a server's folder never overwrites nor
 * removes a job of another server's folder (at start, on reload, or on restart).
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createTempHome, liveChildren, startServerProcess, type ServerProcess, type TempHome } from '../_cli.js';
import { usePostgres } from '../_postgres.js';
import { waitFor } from '../_server.js';

const db = usePostgres();
const homes: TempHome[] = [];
const servers: ServerProcess[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => (s.child.exitCode === null && s.child.signalCode === null ? s.stop() : Promise.resolve(0))));
});
afterAll(async () => {
  for (const home of homes) await home.cleanup();
  expect(liveChildren()).toBe(0);
});

interface Member {
  home: TempHome;
  jobs: string;
  server: ServerProcess;
  node: string;
}

async function newHome(): Promise<{ home: TempHome; jobs: string }> {
  const home = await createTempHome();
  home.env.MXX_STORE = db.url;
  home.env.MXX_LEASE_MS = '3000';
  homes.push(home);
  const jobs = join(home.dir, '.mxx', 'jobs');
  await mkdir(jobs, { recursive: true });
  return { home, jobs };
}

async function start(member: { home: TempHome; jobs: string }): Promise<Member> {
  const server = await startServerProcess(member.home);
  servers.push(server);
  const nodes = (await call(server.url, '/nodes')).body as { nodes: Array<{ id: string; self: boolean }> };
  const self = nodes.nodes.find((n) => n.self);
  if (!self) throw new Error(`no self in /nodes: ${JSON.stringify(nodes)}`);
  return { ...member, server, node: self.id };
}

async function call(url: string, path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${url}/api/scheduler${path}`);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const job = (cmd: string): string => `[os]\ncmd = "${cmd}"\n`;
const ids = async (m: Member): Promise<string[]> => ((await call(m.server.url, '/jobs')).body.jobs as Array<{ job_id: string }>).map((j) => j.job_id).sort();
const entry = async (m: Member, id: string): Promise<{ status: number; body: any }> => call(m.server.url, `/registry/${id}`);
const loadErrors = async (m: Member): Promise<Array<{ file: string; error: string }>> => (await call(m.server.url, '/health')).body.load_error_files;
const logs = (...members: Member[]): string => members.map((m) => `--- ${m.node}:\n${m.server.output()}`).join('\n');

describe('job files on several servers', () => {
  it('each folder adds its jobs; identical files are one job that outlives either file; no folder removes another folder\'s job, also on restart', async () => {
    const a0 = await newHome();
    const b0 = await newHome();
    await writeFile(join(a0.jobs, 'shared.toml'), job('echo shared'));
    await writeFile(join(b0.jobs, 'shared.toml'), job('echo shared'));
    await writeFile(join(a0.jobs, 'only-a.toml'), job('echo a'));
    await writeFile(join(b0.jobs, 'only-b.toml'), job('echo b'));
    let a = await start(a0);
    const b = await start(b0);
    await waitFor(async () => (await ids(a)).length === 3, 5000, 'A to see B\'s job');
    expect(await ids(a)).toEqual(['only-a', 'only-b', 'shared']);
    expect(await ids(b)).toEqual(['only-a', 'only-b', 'shared']);
    expect(await loadErrors(a)).toEqual([]);
    expect(await loadErrors(b), logs(a, b)).toEqual([]);
    // Who loaded what: the first server to register a job's file owns the entry.
    expect((await entry(b, 'only-b')).body).toMatchObject({ node: b.node, file: join(b0.jobs, 'only-b.toml') });
    expect((await entry(b, 'shared')).body).toMatchObject({ node: a.node, file: join(a0.jobs, 'shared.toml') });

    // A restarts: its folder load does not take B's job for one of its own files that is gone.
    expect(await a.server.stop()).toBe(0);
    a = await start(a0);
    expect(await ids(a)).toEqual(['only-a', 'only-b', 'shared']);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await ids(b), logs(a, b)).toEqual(['only-a', 'only-b', 'shared']);

    // A's copy of the shared file goes: the job stays, B's folder now defines it.
    await rm(join(a0.jobs, 'shared.toml'));
    await waitFor(async () => (await entry(b, 'shared')).body?.node === b.node, 5000, 'B to take the shared job over');
    expect((await entry(a, 'shared')).body).toMatchObject({ node: b.node, file: join(b0.jobs, 'shared.toml'), config: { os: { cmd: 'echo shared' } } });
    await waitFor(async () => (await ids(a)).includes('shared'), 5000, 'A to list the shared job again');

    // B's own job goes with B's file, on both servers.
    await rm(join(b0.jobs, 'only-b.toml'));
    await waitFor(async () => !(await ids(a)).includes('only-b'), 5000, 'A to drop only-b');
    expect(await ids(b)).toEqual(['only-a', 'shared']);
    expect(await loadErrors(a)).toEqual([]);
    expect(await loadErrors(b)).toEqual([]);
  });

  it('the same id with different content is a conflict in /health and the log, never an overwrite; it clears once the files agree', async () => {
    const a0 = await newHome();
    const b0 = await newHome();
    await writeFile(join(a0.jobs, 'report.toml'), job('echo from-a'));
    const a = await start(a0);
    await writeFile(join(b0.jobs, 'report.toml'), job('echo from-b'));
    const b = await start(b0);
    const bFile = join(b0.jobs, 'report.toml');

    // At start: B's differing file is refused, A's definition stays everywhere.
    const errors = await loadErrors(b);
    expect(errors, logs(a, b)).toHaveLength(1);
    expect(errors[0]!.file).toBe(bFile);
    expect(errors[0]!.error).toContain('conflict');
    expect(errors[0]!.error).toContain(a.node);
    expect(b.server.output()).toContain('conflict: job id report is already defined differently');
    expect((await entry(a, 'report')).body).toMatchObject({ node: a.node, config: { os: { cmd: 'echo from-a' } } });
    expect((await entry(b, 'report')).body).toMatchObject({ node: a.node, config: { os: { cmd: 'echo from-a' } } });

    // B's file made identical: no conflict, still one job (A's entry).
    await writeFile(bFile, job('echo from-a'));
    await waitFor(async () => (await loadErrors(b)).length === 0, 5000, 'B\'s conflict to clear');
    expect((await entry(b, 'report')).body.node).toBe(a.node);

    // A edits its file: B's (now older) copy conflicts again; A's edit is in force on both.
    await writeFile(join(a0.jobs, 'report.toml'), job('echo from-a-v2'));
    await waitFor(async () => (await loadErrors(b)).some((e) => e.file === bFile && e.error.includes('conflict')), 5000, 'B to see the new conflict');
    expect((await entry(b, 'report')).body.config).toEqual({ os: { cmd: 'echo from-a-v2' } });
    expect(await loadErrors(a)).toEqual([]);

    // A's file goes: B's folder still defines report, so B's definition takes over (no conflict left).
    await rm(join(a0.jobs, 'report.toml'));
    await waitFor(async () => (await entry(a, 'report')).body?.node === b.node, 5000, 'B to define report');
    expect((await entry(a, 'report')).body.config).toEqual({ os: { cmd: 'echo from-a' } });
    expect(await loadErrors(b)).toEqual([]);
    expect(await ids(a)).toEqual(['report']);
  });
});
