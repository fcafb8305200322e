/**
 * Several real mxx server processes on one real PostgreSQL (SPEC §15): every fire runs exactly
 * once across them (the commands' own output and the run records agree), a job running on one
 * server makes the others skip it, a change made through one server reaches the others, and a
 * server killed with SIGKILL is taken over: its run interrupted within the lease (+2 s), its next
 * fires run elsewhere, nothing of its run left once it restarts.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { findRunProcesses } from '../../workers/run-sweep.js';
import { createTempHome, liveChildren, startServerProcess, type ServerProcess, type TempHome } from '../_cli.js';
import { usePostgres } from '../_postgres.js';
import { waitFor } from '../_server.js';
import { openRaw } from '../_sse.js';

const db = usePostgres();
const homes: TempHome[] = [];
const servers: ServerProcess[] = [];
const LEASE_MS = 3000;

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => (s.child.exitCode === null && s.child.signalCode === null ? s.stop() : Promise.resolve(0))));
});
afterAll(async () => {
  for (const home of homes) await home.cleanup();
  expect(liveChildren()).toBe(0);
});

async function newHome(): Promise<TempHome> {
  const home = await createTempHome();
  home.env.MXX_STORE = db.url;
  home.env.MXX_LEASE_MS = String(LEASE_MS);
  homes.push(home);
  return home;
}

async function start(home: TempHome): Promise<ServerProcess> {
  const server = await startServerProcess(home);
  servers.push(server);
  return server;
}

async function call(url: string, path: string, init: { method?: string; json?: unknown } = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(`${url}/api/scheduler${path}`, {
    method: init.method ?? 'GET',
    ...(init.json === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(init.json) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function sql<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

const logsOf = (list: ServerProcess[]): string => list.map((s, i) => `--- server ${i}:\n${s.output()}`).join('\n');

describe('several servers on one PostgreSQL store', () => {
  it('a run in progress on one server is shown by another with its start time and pid (the start reaches the store)', async () => {
    const a = await start(await newHome());
    const b = await start(await newHome());
    const registered = await call(a.url, '/jobs', { method: 'POST', json: { job_id: 'slow-start', config: { os: { cmd: 'sleep 3' } } } });
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    const triggered = await call(a.url, '/jobs/slow-start/trigger', { method: 'POST' });
    expect(triggered.status).toBe(200);
    const runId: string = triggered.body.run_id;
    const seen = await waitFor(async () => {
      const r = await call(b.url, `/runs/${runId}`);
      return r.status === 200 && r.body.status === 'running' && r.body.started_at && r.body.pid ? r.body : null;
    }, 2000, 'B to show the run started, with its pid', 50);
    // The job's run listing on B too (what the dashboard and `mxx runs` read).
    const listed = await waitFor(async () => {
      const r = await call(b.url, '/jobs/slow-start/runs');
      const run = (r.body?.runs ?? []).find((x: { run_id: string }) => x.run_id === runId);
      return run?.status === 'running' && run.started_at && run.pid ? run : null;
    }, 2000, 'B to list the run started, with its pid', 50);
    expect(listed.started_at).toBe(seen.started_at);
    const own = (await call(a.url, `/runs/${runId}`)).body;
    expect(seen.started_at).toBe(own.started_at);
    expect(seen.pid).toBe(own.pid);
    await waitFor(async () => (await call(b.url, `/runs/${runId}`)).body.status === 'completed', 8000, 'B to show it completed');
  });

  it('3 servers, 20 jobs firing every second: every fire ran exactly once, none lost, the work spread over the servers', async () => {
    const cluster = [await start(await newHome()), await start(await newHome()), await start(await newHome())];
    const out = join(homes[0]!.dir, 'fires.txt');
    for (let i = 0; i < 20; i++) {
      const registered = await call(cluster[i % 3]!.url, '/jobs', {
        method: 'POST',
        json: { job_id: `tick-${i}`, config: { os: { cmd: `echo "$MXX_RUN_ID" >> ${out}` }, schedule: { trigger: 'interval', seconds: 1 }, policy: { history: 100 } } },
      });
      expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    }
    await new Promise((resolve) => setTimeout(resolve, 12_000));
    // Pause every job (through one server) so the counts below are of a closed set.
    for (let i = 0; i < 20; i++) expect((await call(cluster[0]!.url, `/jobs/tick-${i}`, { method: 'DELETE' })).status).toBe(200);
    await waitFor(async () => (await sql<{ n: number }>(`SELECT count(*)::int AS n FROM mxx_runs WHERE state IN ('queued', 'running')`))[0]!.n === 0, 10_000, 'the last runs to end');
    await new Promise((resolve) => setTimeout(resolve, 500));

    const runs = await sql<{ run_id: string; job_id: string; node_id: string; state: string; scheduled_at: Date; record: { started_at: string } }>(
      `SELECT run_id, job_id, node_id, state, scheduled_at, record FROM mxx_runs WHERE scheduled_at IS NOT NULL ORDER BY job_id, scheduled_at`,
    );
    const ran = runs.filter((r) => r.state === 'completed');
    // A fire is claimed ahead of its instant, but its command never starts before it.
    const early = ran.filter((r) => Date.parse(r.record.started_at) < r.scheduled_at.getTime());
    expect(early.map((r) => `${r.job_id} planned ${r.scheduled_at.toISOString()} started ${r.record.started_at}`)).toEqual([]);
    expect(runs.filter((r) => r.state !== 'completed').map((r) => `${r.job_id} ${r.state}`), logsOf(cluster)).toEqual([]);
    // Exactly once: one record per (job, instant), and the command ran once per record.
    const instants = new Set(runs.map((r) => `${r.job_id} ${r.scheduled_at.toISOString()}`));
    expect(instants.size).toBe(runs.length);
    const lines = (await readFile(out, 'utf8')).trim().split('\n');
    expect(lines.length).toBe(ran.length);
    expect(new Set(lines)).toEqual(new Set(ran.map((r) => r.run_id)));
    // None lost: each job's instants are one second apart, from its first to its last.
    for (let i = 0; i < 20; i++) {
      const times = runs.filter((r) => r.job_id === `tick-${i}`).map((r) => r.scheduled_at.getTime());
      expect(times.length, `tick-${i}`).toBeGreaterThanOrEqual(8);
      for (let k = 1; k < times.length; k++) expect(times[k]! - times[k - 1]!, `tick-${i} fire ${k}`).toBe(1000);
    }
    const perNode = new Map<string, number>();
    for (const r of ran) perNode.set(r.node_id, (perNode.get(r.node_id) ?? 0) + 1);
    console.log(`runs per server: ${[...perNode.values()].join(' / ')} (${ran.length} in all)`);
    expect(perNode.size).toBeGreaterThanOrEqual(2);
  }, 60_000);

  it('overlap skip across servers: a job that runs 1.5 s every second never runs twice at once anywhere', async () => {
    const cluster = [await start(await newHome()), await start(await newHome()), await start(await newHome())];
    const registered = await call(cluster[1]!.url, '/jobs', {
      method: 'POST',
      json: { job_id: 'long', config: { os: { cmd: 'sleep 1.5' }, schedule: { trigger: 'interval', seconds: 1 }, policy: { overlap: 'skip', history: 100 } } },
    });
    expect(registered.status).toBe(201);
    await new Promise((resolve) => setTimeout(resolve, 8000));
    expect((await call(cluster[0]!.url, '/jobs/long', { method: 'DELETE' })).status).toBe(200);
    await waitFor(async () => (await sql<{ n: number }>(`SELECT count(*)::int AS n FROM mxx_runs WHERE state IN ('queued', 'running')`))[0]!.n === 0, 10_000, 'the last run to end');
    const runs = await sql<{ state: string; record: any; node_id: string }>(`SELECT state, record, node_id FROM mxx_runs WHERE job_id = 'long'`);
    const ran = runs
      .filter((r) => r.state === 'completed')
      .map((r) => ({ from: Date.parse(r.record.started_at), to: Date.parse(r.record.ended_at), node: r.node_id }))
      .sort((a, b) => a.from - b.from);
    expect(ran.length, logsOf(cluster)).toBeGreaterThanOrEqual(3);
    for (let k = 1; k < ran.length; k++) expect(ran[k]!.from, `run ${k} started before run ${k - 1} ended`).toBeGreaterThanOrEqual(ran[k - 1]!.to);
    const skipped = runs.filter((r) => r.state === 'skipped');
    expect(skipped.length).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(skipped.map((r) => r.record.error))).toContain('is already running');
  }, 40_000);

  it('a pause, a resume and a stop made through server A take effect on server C, its event stream included', async () => {
    const a = await start(await newHome());
    const c = await start(await newHome());
    expect((await call(a.url, '/jobs', { method: 'POST', json: { job_id: 'shared', config: { os: { cmd: 'sleep 30' }, schedule: { trigger: 'cron', cron: '0 0 1 1 *' } } } })).status).toBe(201);
    await waitFor(async () => (await call(c.url, '/jobs/shared')).status === 200, 2000, 'C to know the job');
    const events = await openRaw(`${c.url}/api/scheduler/events?job=shared`);
    const saw = (check: (e: { event: string; data: any }) => boolean, what: string) => events.until((s) => s.events().find(check), 2000, what);
    try {
      const paused = Date.now();
      expect((await call(a.url, '/jobs/shared', { method: 'DELETE' })).status).toBe(200);
      await waitFor(async () => (await call(c.url, '/jobs/shared')).body.paused === true, 2000, 'C to see the pause');
      console.log(`pause through A seen on C after ${Date.now() - paused} ms`);
      await saw((e) => e.event === 'job.paused', 'job.paused on C');
      expect((await call(a.url, '/jobs/shared/resume', { method: 'POST' })).status).toBe(200);
      await saw((e) => e.event === 'job.resumed', 'job.resumed on C');

      // A run on C, stopped through A.
      const triggered = await call(c.url, '/jobs/shared/trigger', { method: 'POST' });
      expect(triggered.status).toBe(200);
      await waitFor(async () => (await call(c.url, `/runs/${triggered.body.run_id}`)).body.status === 'running', 5000, 'the run on C to start');
      // Busy on C: a trigger through A is refused (the job's overlap policy, across servers).
      const refused = await call(a.url, '/jobs/shared/trigger', { method: 'POST' });
      expect(refused.status, JSON.stringify(refused.body)).toBe(409);
      expect(refused.body.error).toContain('is already running');
      const stopped = await call(a.url, '/jobs/shared/stop', { method: 'POST' });
      expect(stopped.status, JSON.stringify(stopped.body)).toBe(200);
      expect(JSON.stringify(stopped.body)).toContain(triggered.body.run_id);
      expect((await call(c.url, `/runs/${triggered.body.run_id}`)).body.status).toBe('cancelled');
      await saw((e) => e.event === 'run.ended' && e.data.run_id === triggered.body.run_id, 'run.ended on C');
    } finally {
      events.close();
    }
  }, 40_000);

  it('one view from any server: a run on A is listed by C at once, names A, and C serves its log from A (from the record\'s tail once A is gone)', async () => {
    const a = await start(await newHome());
    const c = await start(await newHome());
    const aNode = (await call(a.url, '/nodes')).body.nodes.find((n: any) => n.self).id;
    // 20 000 bytes of output: more than the record's 4 KiB tail, so the file and the tail differ.
    const cmd = `sleep 1; head -c 20000 /dev/zero | tr '\\0' x; echo; echo END`;
    expect((await call(a.url, '/jobs', { method: 'POST', json: { job_id: 'seen', config: { os: { cmd } } } })).status).toBe(201);
    await waitFor(async () => (await call(c.url, '/jobs/seen')).status === 200, 2000, 'C to know the job');
    const triggered = await call(a.url, '/jobs/seen/trigger', { method: 'POST' });
    expect(triggered.status).toBe(200);
    const runId: string = triggered.body.run_id;
    // Running on A, seen from C (the run record written there, the notice, C's read).
    await waitFor(async () => (await call(c.url, `/runs/${runId}`)).body?.status === 'running', 2000, 'C to see the run running');
    expect((await call(c.url, `/runs/${runId}`)).body.node).toBe(aNode);
    await waitFor(async () => (await call(c.url, `/runs/${runId}`)).body?.status === 'completed', 5000, 'C to see the run completed');
    const listed = (await call(c.url, '/jobs/seen/runs')).body;
    expect(JSON.stringify(listed)).toContain(runId);
    expect((await call(c.url, '/runs?job=seen')).body.runs.map((r: any) => r.run_id)).toContain(runId);

    const log = await fetch(`${c.url}/api/scheduler/runs/${runId}/log`);
    expect(log.status).toBe(200);
    expect(log.headers.get('x-mxx-log-source')).toBe('file');
    expect(log.headers.get('x-mxx-log-node')).toBe(aNode);
    const full = await log.text();
    expect(full.length).toBeGreaterThan(20_000);
    expect(full).toContain('END');

    // A stopped: C answers from the record's tail (the last 4 KiB), saying so.
    expect(await a.stop()).toBe(0);
    const tail = await fetch(`${c.url}/api/scheduler/runs/${runId}/log`);
    expect(tail.status).toBe(200);
    expect(tail.headers.get('x-mxx-log-source')).toBe('tail');
    const text = await tail.text();
    expect(text.length).toBeLessThan(full.length);
    expect(text).toContain('END');
  }, 40_000);

  it('kill -9 a server mid-run: its run is interrupted within lease + 2 s, its next fires run elsewhere, nothing of it left after it restarts', async () => {
    const homeB = await newHome();
    const a = await start(await newHome());
    let b = await start(homeB);
    expect((await call(b.url, '/jobs', { method: 'POST', json: { job_id: 'victim', config: { os: { cmd: 'sleep 60' } } } })).status).toBe(201);
    expect((await call(b.url, '/jobs', { method: 'POST', json: { job_id: 'beat', config: { os: { cmd: 'true' }, schedule: { trigger: 'interval', seconds: 1 }, policy: { history: 100 } } } })).status).toBe(201);
    const triggered = await call(b.url, '/jobs/victim/trigger', { method: 'POST' });
    expect(triggered.status).toBe(200);
    const runId: string = triggered.body.run_id;
    await waitFor(async () => (await findRunProcesses(new Set([runId]))).size > 0, 5000, 'the run’s process');
    const [bNode] = await sql<{ node_id: string }>(`SELECT node_id FROM mxx_runs WHERE run_id = $1`, [runId]);
    b.child.kill('SIGKILL');
    const killedAt = Date.now();
    await waitFor(async () => (await sql<{ state: string }>(`SELECT state FROM mxx_runs WHERE run_id = $1`, [runId]))[0]?.state === 'interrupted', LEASE_MS + 4000, 'the run to be marked interrupted');
    const took = Date.now() - killedAt;
    console.log(`run of the killed server interrupted after ${took} ms (lease ${LEASE_MS} ms)`);
    expect(took).toBeLessThanOrEqual(LEASE_MS + 2000 + 500);
    // The survivor's API shows it so too (one view from any server).
    await waitFor(async () => (await call(a.url, `/runs/${runId}`)).body?.status === 'interrupted', 2000, 'the survivor to show the run interrupted');
    // Its next fires run on the survivor.
    await waitFor(
      async () => (await sql<{ n: number }>(`SELECT count(*)::int AS n FROM mxx_runs WHERE job_id = 'beat' AND node_id <> $1 AND state = 'completed' AND started_at > to_timestamp($2 / 1000.0)`, [bNode!.node_id, killedAt]))[0]!.n >= 2,
      5000,
      'the survivor to run the next fires',
    );
    const record = (await sql<{ record: any }>(`SELECT record FROM mxx_runs WHERE run_id = $1`, [runId]))[0]!.record;
    expect(record.status).toBe('interrupted');
    expect(record.error).toContain('lease');
    // Restarted: nothing of the old run is left.
    b = await start(homeB);
    await waitFor(async () => (await findRunProcesses(new Set([runId]))).size === 0, 5000, 'no process of the dead server’s run');
    expect((await call(a.url, '/health')).body.cluster).toMatchObject({ live: true });
    const nodes = (await call(a.url, '/nodes')).body;
    expect(nodes.store).toBe('postgres');
    expect(nodes.nodes).toHaveLength(2);
    expect(nodes.nodes.every((n: any) => n.alive)).toBe(true);
  }, 60_000);

  it('failover after failover: a server restarted after kill -9 lists the runs the others start next, and a second kill is taken over too', async () => {
    const homes3 = [await newHome(), await newHome(), await newHome()];
    const cluster = [await start(homes3[0]!), await start(homes3[1]!), await start(homes3[2]!)];
    const registered = await call(cluster[0]!.url, '/jobs', {
      method: 'POST',
      json: { job_id: 'long', config: { os: { cmd: 'sleep 60' }, schedule: { trigger: 'cron', cron: '* * * * * *' }, lifetime: { lifetime: 90 }, policy: { overlap: 'skip', history: 1000 } } },
    });
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    const nodeIndex = async (nodeId: string): Promise<number> => {
      for (let i = 0; i < cluster.length; i++) if ((await call(cluster[i]!.url, '/health')).body.cluster?.node_id === nodeId) return i;
      throw new Error(`no server is node ${nodeId}`);
    };
    const runningRun = async (not: Set<string>) =>
      waitFor(async () => (await sql<{ run_id: string; node_id: string }>(`SELECT run_id, node_id FROM mxx_runs WHERE job_id = 'long' AND state = 'running' AND record->>'pid' IS NOT NULL`)).find((r) => !not.has(r.run_id)) ?? null, LEASE_MS + 8000, 'a running run of the job', 50);
    const seen = new Set<string>();
    const first = await runningRun(seen);
    seen.add(first.run_id);
    const x = await nodeIndex(first.node_id);
    cluster[x]!.child.kill('SIGKILL');
    // The next run, on another server, once the killed one's lease lapsed; then it comes back.
    const second = await runningRun(seen);
    seen.add(second.run_id);
    expect(second.node_id).not.toBe(first.node_id);
    cluster[x] = await start(homes3[x]!);
    // The restarted server lists it running (what `mxx runs` and the dashboard read).
    await waitFor(async () => {
      const runs = (await call(cluster[x]!.url, '/jobs/long/runs?limit=100')).body?.runs ?? [];
      return runs.find((r: { run_id: string; status: string }) => r.run_id === second.run_id && r.status === 'running') ?? null;
    }, 2000, `the restarted server to list the run ${second.run_id} running on ${second.node_id}`, 50);
    // Kill the server running it: the next run starts somewhere else, and every server lists it.
    const y = await nodeIndex(second.node_id);
    cluster[y]!.child.kill('SIGKILL');
    const third = await runningRun(seen);
    expect(third.node_id).not.toBe(second.node_id);
    for (const i of [0, 1, 2].filter((i) => i !== y)) {
      await waitFor(async () => {
        const runs = (await call(cluster[i]!.url, '/jobs/long/runs?limit=100')).body?.runs ?? [];
        return runs.find((r: { run_id: string; status: string }) => r.run_id === third.run_id && r.status === 'running') ?? null;
      }, 2000, `server ${i} to list the run ${third.run_id} running on ${third.node_id}`, 50);
    }
    expect((await call(cluster[x]!.url, '/jobs/long', { method: 'DELETE' })).status).toBe(200);
  }, 90_000);
});
