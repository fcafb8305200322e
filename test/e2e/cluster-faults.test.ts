/**
 * Faults under several real mxx servers on one real PostgreSQL (SPEC §15, issue 15 "Liveness and
 * fencing"): a server frozen with SIGSTOP past its lease and thawed again, a long run on a healthy
 * server outliving several lease periods, and the database stopped (fast shutdown) and started
 * again under three servers. What is expected, per the decided semantics (at most once for a run
 * that had started when its server was taken over):
 * - every (job, scheduled instant) ran at most once: one run record per instant, at most one line
 *   per instant in the commands' own output file, and every completed record has its one line;
 * - a frozen server's started run is marked `interrupted` by a survivor and never started again
 *   elsewhere (not even while its process still runs: the frozen server's children go on); on
 *   its return the frozen server is fenced (it claims nothing the others took), ends that run's
 *   processes itself and joins again with a new epoch;
 * - a server whose store went away stops claiming, keeps its running runs, says so in /health,
 *   and recovers when the store is back.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { findRunProcesses } from '../../workers/run-sweep.js';
import { createTempHome, liveChildren, startServerProcess, type ServerProcess, type TempHome } from '../_cli.js';
import { usePostgres } from '../_postgres.js';
import { waitFor } from '../_server.js';

const db = usePostgres();
const homes: TempHome[] = [];
const servers: ServerProcess[] = [];
const frozen = new Set<ServerProcess>();

afterEach(async () => {
  // A test that failed mid-freeze must not leave a stopped process that SIGTERM cannot reach.
  for (const server of frozen) server.child.kill('SIGCONT');
  frozen.clear();
  await Promise.all(servers.splice(0).map((s) => (s.child.exitCode === null && s.child.signalCode === null ? s.stop() : Promise.resolve(0))));
});
afterAll(async () => {
  for (const home of homes) await home.cleanup();
  expect(liveChildren()).toBe(0);
});

/** A server home on this test's database; its runs see FAULT_NODE=<name> (jobs inherit the server's environment). */
async function newHome(name: string, leaseMs: number): Promise<TempHome> {
  const home = await createTempHome();
  home.env.MXX_STORE = db.url;
  home.env.MXX_LEASE_MS = String(leaseMs);
  home.env.FAULT_NODE = name;
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

async function register(url: string, jobId: string, config: Record<string, unknown>): Promise<void> {
  const res = await call(url, '/jobs', { method: 'POST', json: { job_id: jobId, config } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const logsOf = (list: ServerProcess[]): string => list.map((s, i) => `--- server ${i}:\n${s.output()}`).join('\n');
const health = async (server: ServerProcess): Promise<any> => (await call(server.url, '/health')).body;

/** One line per run in the shared output file: which server ran it, the job, its fire instant, its run id. */
const lineCmd = (out: string, extra = '') => `echo "$FAULT_NODE $MXX_JOB_ID $MXX_SCHEDULED_AT $MXX_RUN_ID${extra}" >> ${out}`;
interface Line {
  node: string;
  job: string;
  at: number;
  runId: string;
  tag: string;
}
async function readLines(out: string): Promise<Line[]> {
  const text = await readFile(out, 'utf8').catch(() => '');
  return text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [node, job, at, runId, tag] = line.split(' ');
      return { node: node!, job: job!, at: Date.parse(at!), runId: runId!, tag: tag ?? '' };
    });
}

interface RunRow {
  run_id: string;
  job_id: string;
  node_id: string;
  state: string;
  scheduled_at: Date | null;
  record: any;
}
const runRows = () => sql<RunRow>(`SELECT run_id, job_id, node_id, state, scheduled_at, record FROM mxx_runs ORDER BY job_id, scheduled_at`);
const liveRuns = async () => (await sql<{ n: number }>(`SELECT count(*)::int AS n FROM mxx_runs WHERE state IN ('queued', 'running')`))[0]!.n;

/** Exactly once where it ran: one record per (job, instant), at most one output line per (job, instant), one line per completed record. */
function expectNoDuplicates(runs: RunRow[], lines: Line[], jobs: (job: string) => boolean, context: string): void {
  const scheduled = runs.filter((r) => jobs(r.job_id) && r.scheduled_at !== null);
  const instants = new Map<string, number>();
  for (const r of scheduled) instants.set(`${r.job_id} ${r.scheduled_at!.toISOString()}`, (instants.get(`${r.job_id} ${r.scheduled_at!.toISOString()}`) ?? 0) + 1);
  expect([...instants].filter(([, n]) => n > 1), `records of one (job, instant)\n${context}`).toEqual([]);
  const ranLines = lines.filter((l) => jobs(l.job) && l.tag !== 'end');
  const perInstant = new Map<string, Line[]>();
  for (const l of ranLines) perInstant.set(`${l.job} ${l.at}`, [...(perInstant.get(`${l.job} ${l.at}`) ?? []), l]);
  expect([...perInstant.values()].filter((ls) => ls.length > 1), `a (job, instant) that ran twice\n${context}`).toEqual([]);
  const byRun = new Map(scheduled.map((r) => [r.run_id, r]));
  expect(ranLines.filter((l) => !byRun.has(l.runId)), 'output lines with no run record').toEqual([]);
  const completed = scheduled.filter((r) => r.state === 'completed');
  const lineRuns = new Set(ranLines.map((l) => l.runId));
  expect(completed.filter((r) => !lineRuns.has(r.run_id)).map((r) => r.run_id), 'completed runs with no output line').toEqual([]);
  // The line and the record agree on which server ran it.
  for (const l of ranLines) expect(byRun.get(l.runId)!.job_id).toBe(l.job);
}

describe('cluster faults: a frozen server, a long run, a database restart', () => {
  it('SIGSTOP a server past its lease, then SIGCONT: the others take the fires meanwhile, it runs none of them, its started run is interrupted and not run again anywhere, it is fenced, ends that run\'s process and rejoins', async () => {
    const LEASE_MS = 1500;
    const homeB = await newHome('b', LEASE_MS);
    const out = join(homeB.dir, 'out.txt');
    // B alone first, so that B is the server that claims and starts the long run's one fire.
    const b = await start(homeB);
    const bNode: string = (await health(b)).cluster.node_id;
    const bEpoch: number = (await health(b)).cluster.epoch;
    await register(b.url, 'long', {
      os: { cmd: `${lineCmd(out, ' start')}; sleep 30; ${lineCmd(out, ' end')}` },
      schedule: { trigger: 'date', run_date: new Date(Date.now() + 1500).toISOString() },
      policy: { overlap: 'skip', max_instances: 1 },
    });
    const [longRun] = await waitFor(async () => {
      const rows = await sql<{ run_id: string; node_id: string }>(`SELECT run_id, node_id FROM mxx_runs WHERE job_id = 'long' AND state = 'running'`);
      return rows.length > 0 ? rows : null;
    }, 5000, 'the long run to start on B');
    expect(longRun!.node_id).toBe(bNode);
    const longId = longRun!.run_id;
    await waitFor(async () => (await findRunProcesses(new Set([longId]))).size > 0, 5000, 'the long run’s process');

    const a = await start(await newHome('a', LEASE_MS));
    const c = await start(await newHome('c', LEASE_MS));
    const cluster = [a, b, c];
    for (let i = 0; i < 4; i++) {
      await register(a.url, `tick-${i}`, { os: { cmd: lineCmd(out) }, schedule: { trigger: 'interval', seconds: 1 }, policy: { history: 200 } });
    }
    // B must have won some ticks before the freeze, or "it runs none after" says little.
    await waitFor(async () => (await sql<{ n: number }>(`SELECT count(*)::int AS n FROM mxx_runs WHERE job_id LIKE 'tick-%' AND node_id = $1 AND state = 'completed'`, [bNode]))[0]!.n >= 2, 8000, 'B to run some ticks');

    b.child.kill('SIGSTOP');
    frozen.add(b);
    const stopAt = Date.now();
    // A survivor takes B over: its run interrupted within the lease + 2 s (by the database clock).
    await waitFor(async () => (await sql<{ state: string }>(`SELECT state FROM mxx_runs WHERE run_id = $1`, [longId]))[0]?.state === 'interrupted', LEASE_MS + 4000, 'the long run to be marked interrupted');
    const takenAfter = Date.now() - stopAt;
    console.log(`frozen server taken over after ${takenAfter} ms (lease ${LEASE_MS} ms)`);
    expect(takenAfter).toBeLessThanOrEqual(LEASE_MS + 2500);
    const interrupted = (await sql<{ record: any }>(`SELECT record FROM mxx_runs WHERE run_id = $1`, [longId]))[0]!.record;
    expect(interrupted.error).toContain('stopped renewing its lease');
    // Its process still runs (B is frozen, its child is not): the moment a re-run elsewhere would be a double run.
    expect((await findRunProcesses(new Set([longId]))).size).toBeGreaterThan(0);
    await sleep(2500);
    expect((await findRunProcesses(new Set([longId]))).size, 'the long run’s process, still running while B is frozen').toBeGreaterThan(0);

    b.child.kill('SIGCONT');
    frozen.delete(b);
    const contAt = Date.now();
    console.log(`B frozen for ${contAt - stopAt} ms`);
    // On its return B is fenced, ends its own run's process and joins again with a new epoch.
    await waitFor(async () => (await findRunProcesses(new Set([longId]))).size === 0, 5000, 'B to end the long run’s process');
    console.log(`the long run's process ended ${Date.now() - contAt} ms after SIGCONT`);
    await waitFor(async () => {
      const cl = (await health(b)).cluster;
      return cl.live === true && cl.epoch > bEpoch;
    }, 5000, 'B to join again with a new epoch');
    expect(b.output()).toContain('fenced');
    // Rejoined for real: B wins fires again.
    await waitFor(
      async () => (await sql<{ n: number }>(`SELECT count(*)::int AS n FROM mxx_runs WHERE job_id LIKE 'tick-%' AND node_id = $1 AND state = 'completed' AND scheduled_at > to_timestamp($2 / 1000.0)`, [bNode, contAt]))[0]!.n >= 1,
      8000,
      'B to run a tick again after rejoining',
    );

    for (let i = 0; i < 4; i++) expect((await call(a.url, `/jobs/tick-${i}`, { method: 'DELETE' })).status).toBe(200);
    await waitFor(async () => (await liveRuns()) === 0, 10_000, 'the last runs to end');
    await sleep(300);
    const runs = await runRows();
    const lines = await readLines(out);
    const context = logsOf(cluster);

    // The long run: one fire, one record, started once (one 'start' line, from B), never finished.
    const longRuns = runs.filter((r) => r.job_id === 'long');
    expect(longRuns.map((r) => r.run_id)).toEqual([longId]);
    expect(longRuns[0]!.state, JSON.stringify(longRuns[0]!.record)).toBe('interrupted');
    expect(lines.filter((l) => l.job === 'long').map((l) => `${l.node} ${l.tag}`)).toEqual(['b start']);
    expect((await sql(`SELECT 1 FROM mxx_fires WHERE job_id = 'long'`)).length).toBe(1);

    const isTick = (job: string) => job.startsWith('tick-');
    expectNoDuplicates(runs, lines, isTick, context);
    const ticks = runs.filter((r) => isTick(r.job_id));
    // B ran none of the fires that fell due while it was frozen (the others took them), nor records one.
    const inFreeze = (at: number) => at > stopAt + 1000 && at < contAt;
    expect(lines.filter((l) => isTick(l.job) && l.node === 'b' && inFreeze(l.at)), context).toEqual([]);
    expect(ticks.filter((r) => r.node_id === bNode && inFreeze(r.scheduled_at!.getTime())).map((r) => `${r.job_id} ${r.state}`)).toEqual([]);
    // None lost: each tick's instants are one second apart; those during the freeze completed on A or C.
    for (let i = 0; i < 4; i++) {
      const times = ticks.filter((r) => r.job_id === `tick-${i}`).map((r) => r.scheduled_at!.getTime());
      for (let k = 1; k < times.length; k++) expect(times[k]! - times[k - 1]!, `tick-${i} fire ${k}`).toBe(1000);
    }
    const duringFreeze = ticks.filter((r) => inFreeze(r.scheduled_at!.getTime()));
    expect(duringFreeze.length).toBeGreaterThanOrEqual(4 * (Math.floor((contAt - stopAt - 1000) / 1000) - 1));
    // A fire that came due while B's run of the same job was still in hand (frozen, before a
    // survivor took B over: lease + a heartbeat) is skipped as busy elsewhere — that run is not
    // started a second time. Every other fire of the freeze completed on A or C.
    const busyOnB = (r: RunRow): boolean =>
      r.state === 'skipped' && r.node_id !== bNode && String(r.record.error).includes(`on server ${bNode}`) && r.scheduled_at!.getTime() <= stopAt + LEASE_MS + 2000;
    expect(duringFreeze.filter((r) => r.state !== 'completed' && !busyOnB(r)).map((r) => `${r.job_id} ${r.state} ${r.record.error}`)).toEqual([]);
    // Only a run B had in hand at the instant it froze may be interrupted (at most once, not re-run).
    const notCompleted = ticks.filter((r) => r.state !== 'completed');
    for (const r of notCompleted) {
      if (busyOnB(r)) continue;
      expect(r.state, `${r.job_id} ${r.state} ${r.record.error}`).toBe('interrupted');
      expect(r.node_id).toBe(bNode);
      expect(r.scheduled_at!.getTime()).toBeLessThanOrEqual(stopAt + 1000);
    }
    const perNode = new Map<string, number>();
    for (const l of lines) perNode.set(l.node, (perNode.get(l.node) ?? 0) + 1);
    console.log(`tick runs per server: ${JSON.stringify(Object.fromEntries(perNode))}; ${notCompleted.length} of B's runs interrupted by the freeze`);
    // Nothing of any of B's runs is left.
    const bRuns = new Set(runs.filter((r) => r.node_id === bNode).map((r) => r.run_id));
    expect((await findRunProcesses(bRuns)).size).toBe(0);
  }, 60_000);

  it('a run on a healthy server that outlives several lease periods is never taken over nor started a second time', async () => {
    const LEASE_MS = 1500;
    const homeA = await newHome('a', LEASE_MS);
    const out = join(homeA.dir, 'out.txt');
    const a = await start(homeA);
    const c = await start(await newHome('c', LEASE_MS));
    const epochs = async () => (await sql<{ node_id: string; epoch: string; reaped_at: Date | null }>(`SELECT node_id, epoch, reaped_at FROM mxx_nodes ORDER BY node_id`)).map((n) => `${n.node_id} ${n.epoch} ${n.reaped_at}`);
    const before = await epochs();
    await register(a.url, 'slow', {
      os: { cmd: `${lineCmd(out, ' start')}; sleep 5; ${lineCmd(out, ' end')}` },
      schedule: { trigger: 'date', run_date: new Date(Date.now() + 1500).toISOString() },
      policy: { overlap: 'skip', max_instances: 1 },
    });
    await waitFor(async () => (await sql(`SELECT 1 FROM mxx_runs WHERE job_id = 'slow'`)).length > 0, 5000, 'the run to start');
    await waitFor(async () => (await liveRuns()) === 0, 10_000, 'the run to end');
    const runs = (await runRows()).filter((r) => r.job_id === 'slow');
    expect(runs.map((r) => r.state), logsOf([a, c])).toEqual(['completed']);
    const duration = Date.parse(runs[0]!.record.ended_at) - Date.parse(runs[0]!.record.started_at);
    console.log(`the slow run lasted ${duration} ms (${(duration / LEASE_MS).toFixed(1)} leases)`);
    expect(duration).toBeGreaterThanOrEqual(3 * LEASE_MS);
    expect((await readLines(out)).map((l) => `${l.job} ${l.tag}`)).toEqual(['slow start', 'slow end']);
    // Nobody was taken over or fenced meanwhile: same epochs, no reaping, nothing in the logs.
    expect(await epochs()).toEqual(before);
    for (const s of [a, c]) {
      expect(s.output()).not.toContain('took it over');
      expect(s.output()).not.toContain('fenced');
    }
  }, 30_000);

  it('the database stopped (fast shutdown) and started again under 3 servers firing every second: they say so in /health, recover, the outage\'s newest fire of each job runs once late and the rest is one missed record, nothing ran twice', async () => {
    const LEASE_MS = 10_000;
    const homeA = await newHome('a', LEASE_MS);
    const out = join(homeA.dir, 'out.txt');
    const cluster = [await start(homeA), await start(await newHome('b', LEASE_MS)), await start(await newHome('c', LEASE_MS))];
    const a = cluster[0]!;
    for (let i = 0; i < 5; i++) {
      await register(cluster[i % 3]!.url, `tick-${i}`, { os: { cmd: lineCmd(out) }, schedule: { trigger: 'interval', seconds: 1 }, policy: { history: 200 } });
    }
    // Runs that span the stop and end while the store is down (their end cannot be written then):
    // 2.5 s each until the flag exists, then instant. Their jobs' catch-up fire must still run.
    const flag = join(homeA.dir, 'spans-short');
    for (let i = 0; i < 3; i++) {
      await register(cluster[i]!.url, `spans-${i}`, { os: { cmd: `[ -f ${flag} ] || sleep 2.5` }, schedule: { trigger: 'interval', seconds: 1 }, policy: { overlap: 'skip', history: 200 } });
    }
    await sleep(3000);
    for (const s of cluster) expect((await health(s)).store.connected).toBe(true);
    await waitFor(
      async () => (await sql<{ n: number }>(`SELECT count(DISTINCT job_id)::int AS n FROM mxx_runs WHERE job_id LIKE 'spans-%' AND state = 'running' AND started_at < now() - interval '200 milliseconds'`))[0]!.n === 3,
      8000,
      'a run of each spans job in progress',
      50,
    );
    await writeFile(flag, '');

    const downAt = Date.now();
    await db.stop();
    // Each server says it lost the store in /health while it is down.
    const seen = await Promise.all(
      cluster.map((s) =>
        waitFor(async () => {
          const h = await health(s);
          return h.store.connected === false && h.cluster.live === false && h.cluster.error ? h : null;
        }, 6000, 'the server to report the lost store in /health', 100),
      ),
    );
    console.log(`/health while the store is down: ${JSON.stringify({ store: seen[0].store, cluster: seen[0].cluster })}`);
    for (const h of seen) expect(h.cluster.error).toMatch(/could not renew its lease/);
    await sleep(Math.max(0, 4000 - (Date.now() - downAt)));
    await db.start();
    const upAt = Date.now();
    console.log(`store down for ${upAt - downAt} ms`);

    await Promise.all(
      cluster.map((s) =>
        waitFor(async () => {
          const h = await health(s);
          return h.status === 'healthy' && h.store.connected === true && h.cluster.live === true && h.cluster.error === null;
        }, 15_000, 'the server to recover', 100),
      ),
    );
    const recoveredAt = Date.now();
    console.log(`all three servers healthy again ${recoveredAt - upAt} ms after the store came back (${cluster.filter((s) => s.output().includes('fenced')).length} of 3 were fenced on the way)`);
    for (const s of cluster) expect(s.output()).toMatch(/could not renew the lease/);
    // Fires go on, on more than one server.
    await waitFor(
      async () => (await sql<{ n: number }>(`SELECT count(DISTINCT node_id)::int AS n FROM mxx_runs WHERE job_id LIKE 'tick-%' AND state = 'completed' AND scheduled_at > to_timestamp($1 / 1000.0)`, [recoveredAt]))[0]!.n >= 2,
      8000,
      'fires after the recovery on two servers',
    );
    await sleep(1000);
    for (const id of [0, 1, 2, 3, 4].map((i) => `tick-${i}`).concat([0, 1, 2].map((i) => `spans-${i}`))) {
      expect((await call(a.url, `/jobs/${id}`, { method: 'DELETE' })).status).toBe(200);
    }
    await waitFor(async () => (await liveRuns()) === 0, 15_000, 'the last runs to end');
    await sleep(300);

    const runs = await runRows();
    const lines = await readLines(out);
    const context = logsOf(cluster);
    const isTick = (job: string) => job.startsWith('tick-');
    expectNoDuplicates(runs, lines, isTick, context);
    const ticks = runs.filter((r) => isTick(r.job_id));
    // A fire that falls due while no server can reach the store is claimed once it is back, as a
    // fire missed through downtime is (SPEC §5): per job the newest one runs once, late (within
    // misfire_grace_time, 60 s here); the others are one `missed` record. Outside
    // [down − 1 s, up + 1 s] no instant is missing.
    const states = new Map<string, number>();
    for (const r of ticks) states.set(r.state, (states.get(r.state) ?? 0) + 1);
    let gap = 0;
    for (let i = 0; i < 5; i++) {
      const times = ticks.filter((r) => r.job_id === `tick-${i}`).map((r) => r.scheduled_at!.getTime());
      expect(times.length).toBeGreaterThan(5);
      for (let k = 1; k < times.length; k++) {
        for (let t = times[k - 1]! + 1000; t < times[k]!; t += 1000) {
          gap++;
          expect(t, `tick-${i}: the fire at ${new Date(t).toISOString()} is missing outside the outage`).toBeGreaterThanOrEqual(downAt - 1000);
          expect(t, `tick-${i}: the fire at ${new Date(t).toISOString()} is missing outside the outage`).toBeLessThanOrEqual(upAt + 1000);
        }
      }
    }
    // The server that won each catch-up claim says so: `job J: the fire at T runs now, late`.
    const lateLines = [...context.matchAll(/job (tick-\d): the fire at (\S+) runs now, late: .* run=(\S+)/g)].map((m) => ({ job: m[1]!, at: Date.parse(m[2]!), runId: m[3]! }));
    console.log(`tick records by state ${JSON.stringify(Object.fromEntries(states))}; ${gap} instants during the ${upAt - downAt} ms outage have no record (coalesced); late runs: ${JSON.stringify(lateLines)}`);
    for (let i = 0; i < 5; i++) {
      const id = `tick-${i}`;
      // The newest fire of the outage ran once, late, on one server, after the store was back.
      const lines = lateLines.filter((l) => l.job === id);
      expect(lines, `${id}: one late run\n${context}`).toHaveLength(1);
      const [line] = lines;
      expect(line!.at).toBeGreaterThanOrEqual(downAt - 1000);
      expect(line!.at).toBeLessThanOrEqual(upAt + 1000);
      const record = ticks.find((r) => r.run_id === line!.runId);
      expect(record?.state, `${id}: its late run's record`).toBe('completed');
      expect(record!.scheduled_at!.getTime()).toBe(line!.at);
      expect(Date.parse(record!.record.started_at)).toBeGreaterThanOrEqual(upAt);
      // The older ones: at most one missed record naming them.
      const missed = ticks.filter((r) => r.job_id === id && r.state === 'missed');
      expect(missed.length, `${id}: at most one missed record`).toBeLessThanOrEqual(1);
      for (const m of missed) {
        expect(m.record.error).toMatch(/^\d+ fire\(s\) missed while the store could not be reached \(from .+ to .+\)$/);
        expect(m.scheduled_at!.getTime()).toBeLessThan(line!.at);
      }
    }
    expect(ticks.filter((r) => r.state !== 'completed' && r.state !== 'missed').map((r) => `${r.job_id} ${r.state} ${r.record.error}`)).toEqual([]);
    expect(ticks.filter((r) => r.state === 'missed').length, 'a 4 s outage misses more than one fire of some job').toBeGreaterThan(0);
    // A run that ended while the store was down is not taken, once it is back, for one still
    // running elsewhere: its job's newest outage fire runs late once, like every other job's.
    for (let i = 0; i < 3; i++) {
      const id = `spans-${i}`;
      const late = [...context.matchAll(new RegExp(`job ${id}: the fire at (\\S+) runs now, late: .* run=(\\S+)`, 'g'))];
      const skippedLate = runs.filter((r) => r.job_id === id && r.state === 'skipped' && r.scheduled_at!.getTime() >= downAt && r.scheduled_at!.getTime() <= upAt + 1000);
      expect(late.length, `${id}: one late run (skipped instead: ${skippedLate.map((r) => r.record.error).join('; ')})`).toBe(1);
      expect(runs.find((r) => r.run_id === late[0]![2])?.state).toBe('completed');
    }
    expect(context).toMatch(/could not claim the fire/);
  }, 60_000);

  // Fails on src of bf79be1 (seen: "fenced: its lease lapsed 72 ms ago" 2.6 s after the store was
  // back, its run ended `interrupted` by SIGTERM): the heartbeat waited a full lease/3 after a failed
  // beat (src/cluster/index.ts scheduleBeat) and heartbeat() refused a lapsed lease nobody had taken
  // over (src/store/postgres/nodes.ts, `lease_until >= now()`). Passes with the retry-sooner beat
  // and the renewal of an untaken lapsed lease.
  it('a store outage shorter than the lease (6 s of 8 s) fences no server and keeps its running run: the lease is renewed as soon as the store is back', async () => {
    // Longer than two beat periods (2 × 2666 ms), so every server misses two beats; 2 s shorter than the lease.
    const LEASE_MS = 8000;
    const homeA = await newHome('a', LEASE_MS);
    const out = join(homeA.dir, 'out.txt');
    const cluster = [await start(homeA), await start(await newHome('b', LEASE_MS))];
    const a = cluster[0]!;
    const epochs = async () => (await sql<{ node_id: string; epoch: string }>(`SELECT node_id, epoch FROM mxx_nodes ORDER BY node_id`)).map((n) => `${n.node_id} ${n.epoch}`);
    const before = await epochs();
    await register(a.url, 'across', { os: { cmd: `${lineCmd(out, ' start')}; sleep 12; ${lineCmd(out, ' end')}` } });
    const triggered = await call(a.url, '/jobs/across/trigger', { method: 'POST' });
    expect(triggered.status, JSON.stringify(triggered.body)).toBe(200);
    const acrossId: string = triggered.body.run_id;
    await waitFor(async () => (await findRunProcesses(new Set([acrossId]))).size > 0, 5000, 'the run’s process');
    const downAt = Date.now();
    await db.stop();
    await sleep(6000);
    await db.start();
    console.log(`store down for ${Date.now() - downAt} ms (lease ${LEASE_MS} ms)`);
    // Renewed in time (the store is back ~2 s before the lease ends): nobody fenced, the run kept.
    await waitFor(async () => (await Promise.all(cluster.map(health))).every((h) => h.cluster.live === true && h.cluster.error === null), 10_000, 'both servers to renew their lease', 100);
    await waitFor(async () => (await liveRuns()) === 0, 10_000, 'the run to end');
    const context = logsOf(cluster);
    for (const s of cluster) expect(s.output(), context).not.toContain('fenced');
    expect(await epochs()).toEqual(before);
    const across = (await runRows()).filter((r) => r.job_id === 'across');
    expect(across.map((r) => `${r.run_id} ${r.state}`), context).toEqual([`${acrossId} completed`]);
    expect((await readLines(out)).map((l) => l.tag)).toEqual(['start', 'end']);
  }, 40_000);
});
