/**
 * 15. Cluster (issue #15): three `mxx server --store postgres://…` processes on one embedded
 * PostgreSQL on this machine, each with its own home.
 * - Fire → exec lateness for 1 and 50 jobs every second, against one files-store server in the same
 *   run. Lateness is the command's own start (`date +%s%N` inside the run, appended to a file with
 *   the run's MXX_JOB_ID and MXX_SCHEDULED_AT) minus the scheduled second: the same command on both
 *   sides.
 * - Claim throughput: many no-op (`true`) jobs on the same seconds. Claims are the fire rows the
 *   servers inserted (mxx_fires, read from the database), counted by the database's claimed_at;
 *   runs that got a child are counted apart (spawns cap near 600–770/s on 2 cores).
 * - Failover: kill -9 the server running a long run of an every-second job (MXX_LEASE_MS=3000):
 *   time until a survivor's API shows that run `interrupted`, and until the job's next run has
 *   started on a survivor; then the killed server restarts and its leftover child must be gone.
 * - Chaos: kill -9 a random server every 10 s and restart it on the same home; every-second jobs
 *   write (job, scheduled second) lines: duplicates and fires lost outside the failover windows.
 */
import * as fs from 'node:fs';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunRecord } from '../../src/records.js';
import { fireLineCmd, fleetRuns, leftoverProcesses, readFireLines, startFleet, type Fleet, type FleetJob, type FireLine } from '../lib/cluster.js';
import { makeTempDir } from '../lib/home.js';
import { call } from '../lib/http.js';
import { jobId } from '../lib/mxx.js';
import { startBenchPostgres, type BenchPostgres } from '../lib/postgres.js';
import { atLeast, atMost, holds, row, type BenchContext, type Row, type Scenario } from '../lib/scenario.js';
import { round, summarize, type Summary } from '../lib/stats.js';
import { nextWholeSecond, sleep, sleepUntil } from '../lib/time.js';

const LEASE_MS = 3000;

interface LatenessWindow {
  kind: 'files' | 'cluster';
  jobs: number;
  seconds: number;
  lateness: number[];
  expected: number;
  /** Distinct (job, second) of the window with a line. */
  ran: number;
  duplicates: number;
  /** Fires of the window per server (cluster: from the run records' node). */
  byNode?: Record<string, number>;
  leftovers: number;
}

interface FireCount {
  ran: number;
  duplicates: number;
  /** The runs whose command wrote a line for a fire that has more than one. */
  duplicateRuns: Array<{ jobId: string; second: string; runId: string }>;
  missing: Array<{ jobId: string; second: number }>;
}

/** Which (job, second) of the window have a line, which twice or more, which none. */
function countFires(lines: FireLine[], ids: string[], windowStart: number, windowEnd: number): FireCount {
  const seen = new Map<string, number>();
  for (const line of lines) {
    if (line.scheduledMs < windowStart || line.scheduledMs >= windowEnd) continue;
    const key = `${line.jobId} ${line.scheduledMs}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  let duplicates = 0;
  for (const n of seen.values()) if (n > 1) duplicates += n - 1;
  const twice = new Set([...seen].filter(([, n]) => n > 1).map(([key]) => key));
  const duplicateRuns = lines.filter((l) => twice.has(`${l.jobId} ${l.scheduledMs}`)).map((l) => ({ jobId: l.jobId, second: new Date(l.scheduledMs).toISOString(), runId: l.runId }));
  const missing: FireCount['missing'] = [];
  for (const id of ids) {
    for (let second = windowStart; second < windowEnd; second += 1000) if (!seen.has(`${id} ${second}`)) missing.push({ jobId: id, second });
  }
  return { ran: seen.size, duplicates, missing, duplicateRuns };
}

const homesOf = (fleet: Fleet): string[] => fleet.members.map((m) => m.home);

/** Stops the fleet and lists what is left of its processes (must be none). */
async function stopAndScan(fleet: Fleet): Promise<number[]> {
  await fleet.stop();
  // Killed runs' children are reaped a moment later (process groups, PID 1).
  for (let i = 0; i < 30; i++) {
    const left = leftoverProcesses(homesOf(fleet));
    if (left.length === 0) return [];
    await sleep(100);
  }
  return leftoverProcesses(homesOf(fleet));
}

async function latenessWindow(ctx: BenchContext, pg: BenchPostgres | undefined, jobs: number): Promise<LatenessWindow> {
  const kind = pg ? 'cluster' : 'files';
  const seconds = ctx.seconds(20, 3);
  const out = join(makeTempDir(`lateness-${kind}-${jobs}`), 'fires.txt');
  const ids = Array.from({ length: jobs }, (_, i) => jobId('every-second', i));
  const fleetJobs: FleetJob[] = ids.map((id) => ({ id, options: { cron: '* * * * * *', cmd: fireLineCmd(out), lifetime: 30, history: 1000 } }));
  ctx.log(`${kind === 'files' ? 'one files-store server' : '3 servers on PostgreSQL'}: ${jobs} job(s) every second, ${seconds} s`);
  const fleet = await startFleet({ label: `lat${jobs}`, jobs: fleetJobs, verbose: ctx.options.verbose, ...(pg ? { pg, servers: 3, leaseMs: 15_000 } : {}) });
  let byNode: Record<string, number> | undefined;
  let leftovers: number[] = [];
  let windowStart = 0;
  let windowEnd = 0;
  try {
    // The first fires warm the threads and spawners (and the pools' connections) before the window.
    windowStart = nextWholeSecond(ctx.pick(3000, 1500));
    windowEnd = windowStart + seconds * 1000;
    await sleepUntil(windowEnd + 1500);
    if (fleet.kind === 'cluster') {
      const runs = await fleetRuns(fleet.members[0]!.server, ids);
      byNode = {};
      for (const r of runs) {
        const planned = r.scheduled_at ? Date.parse(r.scheduled_at) : NaN;
        if (planned >= windowStart && planned < windowEnd) byNode[r.node ?? '?'] = (byNode[r.node ?? '?'] ?? 0) + 1;
      }
    }
  } finally {
    leftovers = await stopAndScan(fleet);
  }
  const lines = readFireLines(out).filter((l) => l.scheduledMs >= windowStart && l.scheduledMs < windowEnd);
  const count = countFires(lines, ids, windowStart, windowEnd);
  return {
    kind,
    jobs,
    seconds,
    lateness: lines.map((l) => l.startedMs - l.scheduledMs),
    expected: jobs * seconds,
    ran: count.ran,
    duplicates: count.duplicates,
    ...(byNode ? { byNode } : {}),
    leftovers: leftovers.length,
  };
}

interface ClaimWindow {
  jobs: number;
  seconds: number;
  /** Fires of the window (job × second). */
  planned: number;
  /** Fire rows for those seconds in the database once drained. */
  claimed: number;
  /** Fire rows whose claimed_at (database clock) lies inside the window, per second. */
  claimsPerSecond: number;
  /** claimed_at − scheduled_at, ms. */
  claimLag: Summary;
  /** Runs of the window's fires whose child started (record has started_at), per second of window. */
  spawnsPerSecond: number;
  runsByStatus: Record<string, number>;
  duplicates: number;
  leftovers: number;
}

async function claimWindow(ctx: BenchContext, pg: BenchPostgres, jobs: number): Promise<ClaimWindow> {
  const seconds = ctx.seconds(10, 3);
  const ids = Array.from({ length: jobs }, (_, i) => jobId('noop', i));
  ctx.log(`3 servers on PostgreSQL: ${jobs} no-op jobs every second, ${seconds} s (claims)`);
  const fleet = await startFleet({
    label: 'claims',
    // overlap allow: a claim is not held back by the job's previous run still recorded running elsewhere.
    jobs: ids.map((id) => ({ id, options: { cron: '* * * * * *', cmd: 'true', lifetime: 30, history: 1000, overlap: 'allow' as const, maxInstances: 10 } })),
    verbose: ctx.options.verbose,
    pg,
    servers: 3,
    leaseMs: 15_000,
  });
  const store = fleet.store!;
  let leftovers: number[] = [];
  const windowStart = nextWholeSecond(ctx.pick(4000, 2000));
  const windowEnd = windowStart + seconds * 1000;
  try {
    await sleepUntil(windowEnd + ctx.pick(5000, 3000));
  } finally {
    leftovers = await stopAndScan(fleet);
  }
  const from = new Date(windowStart);
  const to = new Date(windowEnd);
  const [fires] = await pg.sql<{ claimed: string; in_window: string }>(
    store,
    `SELECT count(*) FILTER (WHERE scheduled_at >= $1 AND scheduled_at < $2) AS claimed,
            count(*) FILTER (WHERE claimed_at >= $1 AND claimed_at < $2) AS in_window
     FROM mxx_fires`,
    [from, to],
  );
  const lags = await pg.sql<{ lag: number }>(
    store,
    `SELECT extract(epoch FROM claimed_at - scheduled_at) * 1000 AS lag FROM mxx_fires WHERE scheduled_at >= $1 AND scheduled_at < $2`,
    [from, to],
  );
  const runs = await pg.sql<{ status: string | null; started: boolean; n: string }>(
    store,
    `SELECT record->>'status' AS status, (record->>'started_at') IS NOT NULL AS started, count(*) AS n
     FROM mxx_runs WHERE scheduled_at >= $1 AND scheduled_at < $2 GROUP BY 1, 2`,
    [from, to],
  );
  // Two runs of one fire would be a broken claim (the primary key of mxx_fires forbids two fire rows).
  const [dups] = await pg.sql<{ n: string }>(
    store,
    `SELECT coalesce(sum(c - 1), 0) AS n FROM (SELECT count(*) AS c FROM mxx_runs WHERE scheduled_at >= $1 AND scheduled_at < $2 GROUP BY job_id, scheduled_at HAVING count(*) > 1) d`,
    [from, to],
  );
  const runsByStatus: Record<string, number> = {};
  let started = 0;
  for (const r of runs) {
    runsByStatus[r.status ?? 'none'] = (runsByStatus[r.status ?? 'none'] ?? 0) + Number(r.n);
    if (r.started) started += Number(r.n);
  }
  return {
    jobs,
    seconds,
    planned: jobs * seconds,
    claimed: Number(fires!.claimed),
    claimsPerSecond: Number(fires!.in_window) / seconds,
    claimLag: summarize(lags.map((l) => Number(l.lag))),
    spawnsPerSecond: started / seconds,
    runsByStatus,
    duplicates: Number(dups!.n),
    leftovers: leftovers.length,
  };
}

interface FailoverRound {
  killed: string;
  /** kill → the run shown `interrupted` by a survivor's API, ms. */
  interruptedMs: number | null;
  /** kill → the job's next run seen started on a survivor, ms. */
  nextRunMs: number | null;
  /** The killed run's child still alive 10 s after its server restarted. */
  childLeft: boolean;
  /** Processes found with the run's MXX_RUN_ID before the kill. */
  children: number;
  /** The running run's pid in GET /runs/{id} of its own server, and of a survivor. */
  ownerPid: number | null;
  survivorPid: number | null;
}

/** Processes with MXX_RUN_ID=<runId> in their environment (Linux /proc). */
function processesOfRun(runId: string): number[] {
  const wanted = Buffer.from(`MXX_RUN_ID=${runId}\0`);
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/environ`).includes(wanted)) pids.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

const alivePid = (pid: number): boolean => existsSync(`/proc/${pid}`) && !/\) Z /.test(safeRead(`/proc/${pid}/stat`));
function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

async function runsOfJob(fleet: Fleet, except: number, id: string): Promise<RunRecord[]> {
  const survivor = fleet.members.find((_, i) => i !== except)!;
  const answer = await call<{ runs: RunRecord[] }>('GET', `${survivor.server.api}/jobs/${id}/runs?limit=100`, undefined, 10_000);
  return answer.status === 200 ? answer.body.runs : [];
}

async function failover(ctx: BenchContext, pg: BenchPostgres): Promise<{ rounds: FailoverRound[]; leftovers: number }> {
  const roundsWanted = ctx.pick(3, 1);
  ctx.log(`3 servers on PostgreSQL, MXX_LEASE_MS=${LEASE_MS}: kill -9 the server running a long run, ${roundsWanted} time(s)`);
  const fleet = await startFleet({
    label: 'failover',
    jobs: [{ id: 'failover', options: { cron: '* * * * * *', cmd: 'sleep 600', lifetime: 900, history: 1000 } }],
    verbose: ctx.options.verbose,
    pg,
    servers: 3,
    leaseMs: LEASE_MS,
  });
  const rounds: FailoverRound[] = [];
  let leftovers: number[] = [];
  try {
    const seenRuns = new Set<string>();
    for (let round = 0; round < roundsWanted; round++) {
      // The job's run now (overlap skip: one at a time, anywhere).
      let running: RunRecord | undefined;
      for (let i = 0; i < 200 && !running; i++) {
        running = (await runsOfJob(fleet, -1, 'failover')).find((r) => r.status === 'running' && !seenRuns.has(r.run_id));
        if (!running) await sleep(50);
      }
      if (!running) {
        const seen = (await runsOfJob(fleet, -1, 'failover')).map((r) => `${r.run_id} ${r.status} pid ${r.pid} node ${r.node}`);
        throw new Error(`failover: no running run of the job within 10 s; runs: ${seen.join('; ') || 'none'}`);
      }
      seenRuns.add(running.run_id);
      const victim = fleet.members.findIndex((m) => m.nodeId === running.node);
      if (victim < 0) throw new Error(`failover: run ${running.run_id} names node ${running.node ?? '?'}, not one of the fleet`);
      // Some time into the run, as "mid-run".
      await sleep(1000);
      // The run's processes, by its MXX_RUN_ID (the record's pid as the owner and a survivor show it, for the report).
      const children = processesOfRun(running.run_id);
      const pidOn = async (i: number): Promise<number | null> =>
        (await call<RunRecord>('GET', `${fleet.members[i]!.server.api}/runs/${running.run_id}`, undefined, 10_000)).body.pid ?? null;
      const ownerPid = await pidOn(victim);
      const survivorPid = await pidOn((victim + 1) % fleet.members.length);
      const killedAt = Date.now();
      await fleet.members[victim]!.kill9();
      let interruptedMs: number | null = null;
      let nextRunMs: number | null = null;
      const deadline = killedAt + LEASE_MS + 15_000;
      while ((interruptedMs === null || nextRunMs === null) && Date.now() < deadline) {
        const runs = await runsOfJob(fleet, victim, 'failover');
        const at = Date.now() - killedAt;
        if (interruptedMs === null && runs.find((r) => r.run_id === running.run_id)?.status === 'interrupted') interruptedMs = at;
        // A survivor's record of another server's run may carry no started_at yet: running counts.
        const elsewhere = runs.some(
          (r) => r.node !== running.node && (r.status === 'running' || r.started_at !== null) && r.scheduled_at !== null && Date.parse(r.scheduled_at) > killedAt - 1000,
        );
        if (nextRunMs === null && elsewhere) nextRunMs = at;
        await sleep(50);
      }
      ctx.log(`  round ${round + 1}: killed ${running.node}; interrupted after ${interruptedMs ?? '—'} ms, next run elsewhere after ${nextRunMs ?? '—'} ms`);
      await fleet.members[victim]!.restart();
      let childLeft = children.some(alivePid);
      for (let i = 0; i < 100 && childLeft; i++) {
        await sleep(100);
        childLeft = children.some(alivePid);
      }
      rounds.push({ killed: running.node!, interruptedMs, nextRunMs, childLeft, children: children.length, ownerPid, survivorPid });
    }
  } finally {
    leftovers = await stopAndScan(fleet);
  }
  return { rounds, leftovers: leftovers.length };
}

interface ChaosResult {
  seconds: number;
  jobs: number;
  kills: number;
  expected: number;
  ran: number;
  duplicates: number;
  lostInWindow: number;
  lostOutside: number;
  lostOutsideSample: Array<{ jobId: string; second: string }>;
  /** Run records of the window's fires, by status (from the database). */
  runsByStatus: Record<string, number>;
  /** Run rows of the window's fires with the same (job, second): must be 0. */
  recordDuplicates: number;
  killLog: Array<{ nodeId: string; killedAt: string; backAt: string }>;
  /** The records of the runs of fires that ran twice (at most 12). */
  duplicateSample: unknown[];
  leftovers: number;
}

async function chaos(ctx: BenchContext, pg: BenchPostgres): Promise<ChaosResult> {
  const seconds = ctx.seconds(120, 30);
  const jobs = 20;
  const out = join(makeTempDir('chaos-out'), 'fires.txt');
  const ids = Array.from({ length: jobs }, (_, i) => jobId('chaos', i));
  ctx.log(`chaos: 3 servers, ${jobs} jobs every second, kill -9 a random server every 10 s and restart it, ${seconds} s`);
  const fleet = await startFleet({
    label: 'chaos',
    jobs: ids.map((id) => ({ id, options: { cron: '* * * * * *', cmd: fireLineCmd(out), lifetime: 30, history: 1000 } })),
    verbose: ctx.options.verbose,
    pg,
    servers: 3,
    leaseMs: LEASE_MS,
  });
  const kills: number[] = [];
  const killLog: Array<{ nodeId: string; killedAt: string; backAt: string }> = [];
  let leftovers: number[] = [];
  const windowStart = nextWholeSecond(2000);
  const windowEnd = windowStart + seconds * 1000;
  try {
    await sleepUntil(windowStart);
    for (let at = windowStart + 5000; at < windowEnd - 2000; at += 10_000) {
      await sleepUntil(at);
      const victim = fleet.members[Math.floor(Math.random() * fleet.members.length)]!;
      kills.push(Date.now());
      await victim.kill9();
      await victim.restart();
      killLog.push({ nodeId: victim.nodeId, killedAt: new Date(kills.at(-1)!).toISOString(), backAt: new Date().toISOString() });
      if (ctx.options.verbose) ctx.log(`  killed and restarted ${victim.nodeId} (back after ${Date.now() - kills.at(-1)!} ms)`);
    }
    // Fires taken over late (within misfire_grace_time) still get their line.
    await sleepUntil(windowEnd + LEASE_MS + 3000);
  } finally {
    leftovers = await stopAndScan(fleet);
  }
  const lines = readFireLines(out);
  const count = countFires(lines, ids, windowStart, windowEnd);
  const inWindow = (second: number): boolean => kills.some((k) => second >= k - 1000 && second <= k + LEASE_MS + 2000);
  const outside = count.missing.filter((m) => !inWindow(m.second));
  const from = new Date(windowStart);
  const to = new Date(windowEnd);
  const runs = await pg.sql<{ status: string | null; n: string }>(
    fleet.store!,
    `SELECT record->>'status' AS status, count(*) AS n FROM mxx_runs WHERE scheduled_at >= $1 AND scheduled_at < $2 GROUP BY 1`,
    [from, to],
  );
  const [dups] = await pg.sql<{ n: string }>(
    fleet.store!,
    `SELECT coalesce(sum(c - 1), 0) AS n FROM (SELECT count(*) AS c FROM mxx_runs WHERE scheduled_at >= $1 AND scheduled_at < $2 GROUP BY job_id, scheduled_at HAVING count(*) > 1) d`,
    [from, to],
  );
  return {
    seconds,
    jobs,
    kills: kills.length,
    expected: jobs * seconds,
    ran: count.ran,
    duplicates: count.duplicates,
    lostInWindow: count.missing.length - outside.length,
    lostOutside: outside.length,
    lostOutsideSample: outside.slice(0, 10).map((m) => ({ jobId: m.jobId, second: new Date(m.second).toISOString() })),
    runsByStatus: Object.fromEntries(runs.map((r) => [r.status ?? 'none', Number(r.n)])),
    recordDuplicates: Number(dups!.n),
    killLog,
    duplicateSample: await duplicateRecords(pg, fleet, count.duplicateRuns.slice(0, 12)),
    leftovers: leftovers.length,
  };
}

/** The run records of fires that ran twice (node, status, start, end, error): what the bench shows to explain them. */
async function duplicateRecords(pg: BenchPostgres, fleet: Fleet, runs: FireCount['duplicateRuns']): Promise<unknown[]> {
  if (runs.length === 0) return [];
  const rows = await pg.sql<{ run_id: string; node_id: string; node_epoch: string; state: string; record: Record<string, unknown> }>(
    fleet.store!,
    `SELECT run_id, node_id, node_epoch, state, record FROM mxx_runs WHERE run_id = ANY($1::text[])`,
    [runs.map((r) => r.runId)],
  );
  const byId = new Map(rows.map((r) => [r.run_id, r]));
  return runs.map((r) => {
    const rec = byId.get(r.runId);
    return { ...r, node: rec?.node_id, epoch: rec?.node_epoch, state: rec?.state, started_at: rec?.record.started_at, ended_at: rec?.record.ended_at, error: rec?.record.error };
  });
}

const fmt = (v: number | null): string => (v === null ? '—' : String(round(v)));

export const cluster: Scenario = {
  n: 15,
  id: 'cluster',
  title: 'Cluster: 3 servers on PostgreSQL',
  async run(ctx) {
    const pg = await startBenchPostgres('cluster');
    try {
      const full = !ctx.options.quick;
      const target = <T>(t: T): { target?: T } => (full ? { target: t } : {});
      const rows: Row[] = [];
      const details: Record<string, unknown> = { postgresStartMs: pg.startMs };
      const notes: string[] = [];
      for (const jobs of [1, 50]) {
        const files = await latenessWindow(ctx, undefined, jobs);
        const clustered = await latenessWindow(ctx, pg, jobs);
        const f = summarize(files.lateness);
        const c = summarize(clustered.lateness);
        const label = jobs === 1 ? '1 job' : `${jobs} jobs`;
        rows.push(
          row(`${label} every second, 3 servers on PostgreSQL: fire → exec p50`, c.p50, 'ms', {
            baseline: 'one files-store server',
            baselineValue: f.p50,
            ...target(atMost(c.p50 !== null && f.p50 !== null ? c.p50 - f.p50 : null, 5, '≤ files + 5 ms')),
          }),
          row(`${label} every second, 3 servers on PostgreSQL: fire → exec p99`, c.p99, 'ms', {
            baseline: 'one files-store server',
            baselineValue: f.p99,
            ...target(atMost(c.p99 !== null && f.p99 ? c.p99 / f.p99 : null, 1.5, '≤ 1.5× files')),
            note: `fires run ${clustered.ran}/${clustered.expected} (files ${files.ran}/${files.expected}), duplicates ${clustered.duplicates}; per server ${Object.values(clustered.byNode ?? {}).join('/')}`,
          }),
        );
        details[`lateness${jobs}`] = { files: { ...files, lateness: undefined, lat: f }, cluster: { ...clustered, lateness: undefined, lat: c } };
      }

      // A load the cluster keeps up with, then one past it (the 2000/s target needs ≥ 2000 jobs on a second).
      const claimRuns: ClaimWindow[] = [];
      for (const jobs of ctx.pick([300, 2000], [150, 600])) {
        const claims = await claimWindow(ctx, pg, jobs);
        claimRuns.push(claims);
        rows.push(
          row(`claims/s across 3 servers, ${claims.jobs} no-op jobs every second`, claims.claimsPerSecond, '/s', {
            ...target(atLeast(claims.claimsPerSecond, 2000, '≥ 2000/s')),
            note: `fire rows claimed (database claimed_at inside the ${claims.seconds} s window); ${claims.claimed}/${claims.planned} of the window's fires claimed once drained; claim lag p50 ${fmt(claims.claimLag.p50)} / p99 ${fmt(claims.claimLag.p99)} ms`,
          }),
          row(`  same, runs whose child started, per second`, claims.spawnsPerSecond, '/s', {
            note: `run records by status ${JSON.stringify(claims.runsByStatus)}; two runs of one fire: ${claims.duplicates}`,
          }),
        );
      }
      details.claims = claimRuns;
      const claims = { leftovers: claimRuns.reduce((a, c) => a + c.leftovers, 0) };

      const fo = await failover(ctx, pg);
      details.failover = fo;
      const worst = (pick: (r: FailoverRound) => number | null): number | null =>
        fo.rounds.some((r) => pick(r) === null) ? null : Math.max(...fo.rounds.map((r) => pick(r)!));
      const interrupted = worst((r) => r.interruptedMs);
      const nextRun = worst((r) => r.nextRunMs);
      rows.push(
        row(`kill -9 → its run interrupted, seen from a survivor (lease ${LEASE_MS / 1000} s, worst of ${fo.rounds.length})`, interrupted === null ? null : interrupted / 1000, 's', {
          ...target(atMost(interrupted === null ? null : interrupted / 1000, LEASE_MS / 1000 + 2, `≤ lease + 2 s (${LEASE_MS / 1000 + 2} s)`)),
          note: fo.rounds.map((r) => fmt(r.interruptedMs === null ? null : r.interruptedMs / 1000)).join(', ') + ' s',
        }),
        row(`kill -9 → the job's next run started on a survivor (worst of ${fo.rounds.length})`, nextRun === null ? null : nextRun / 1000, 's', {
          ...target(atMost(nextRun === null ? null : nextRun / 1000, LEASE_MS / 1000 + 2, `≤ lease + 2 s (${LEASE_MS / 1000 + 2} s)`)),
          note: `${fo.rounds.map((r) => fmt(r.nextRunMs === null ? null : r.nextRunMs / 1000)).join(', ')} s; killed run's child left after restart: ${fo.rounds.filter((r) => r.childLeft).length}`,
        }),
      );

      const ch = await chaos(ctx, pg);
      details.chaos = ch;
      rows.push(
        row(`chaos ${ch.seconds} s, ${ch.kills} kill -9 + restart: fires run twice`, ch.duplicates, '', {
          ...target(holds(ch.duplicates === 0, '0')),
          note: `${ch.ran}/${ch.expected} fires ran (command output); fires with a second run record (an interrupted one whose command wrote nothing, then a re-run): ${ch.recordDuplicates}; records ${JSON.stringify(ch.runsByStatus)}`,
        }),
        row('chaos: fires lost outside the failover windows', ch.lostOutside, '', {
          ...target(holds(ch.lostOutside === 0, '0')),
          note: `lost inside the windows (kill − 1 s … kill + lease + 2 s): ${ch.lostInWindow}`,
        }),
      );

      const leftovers = [
        ...[1, 50].flatMap((j) => {
          const d = details[`lateness${j}`] as { files: LatenessWindow; cluster: LatenessWindow };
          return [d.files.leftovers, d.cluster.leftovers];
        }),
        claims.leftovers,
        fo.leftovers,
        ch.leftovers,
      ].reduce((a, b) => a + b, 0);
      rows.push(
        row('processes left with a bench home in their environment, after every phase', leftovers, '', {
          ...target(holds(leftovers === 0 && fo.rounds.every((r) => !r.childLeft), '0')),
        }),
      );
      if (ctx.options.quick) notes.push('quick: short windows, fewer jobs, no targets');
      return { rows, details, notes };
    } finally {
      await pg.stop();
    }
  },
};
