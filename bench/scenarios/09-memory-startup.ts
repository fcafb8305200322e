/**
 * 9. Memory and start-up: RSS idle and with 10 000 registered jobs; time to register 1000 job files
 * at start and 1000 jobs over the API; hot-reload latency (file written → new definition visible in
 * the API) over 50 edits, against fs.watch seeing the same write. Quick: 300 files and
 * registrations, 1000 jobs for the RSS, 10 edits (no targets then: they are stated for the full sizes).
 */
import { mkdirSync, watch, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { call, callOk, inParallel } from '../lib/http.js';
import { makeTempDir } from '../lib/home.js';
import type { RunRecord } from '../../src/records.js';
import { dailyCron, jobBody, jobId, registerJobs, startMxxServer, trigger, waitForRunEnd, writeRegistry, type MxxServer } from '../lib/mxx.js';
import { rssMb, treeRssMb } from '../lib/linux-proc.js';
import { runAgent } from '../lib/procs.js';
import { atMost, holds, row, type BenchContext, type Row, type Scenario, type Target } from '../lib/scenario.js';
import { summarize } from '../lib/stats.js';
import { sleep, waitFor } from '../lib/time.js';
import { REGISTRY_KEY, type RegistrySizeRun } from './03-registry-size.js';

const jobFile = (cron: string, cmd: string): string =>
  `[lifetime]\nlifetime = 60\n\n[os]\ncmd = ${JSON.stringify(cmd)}\n\n[schedule]\ntrigger = "cron"\ncron = ${JSON.stringify(cron)}\n`;

/** RSS of a server with `jobs` registered daily jobs, after 500 ms: its process, and with its helpers (spawner processes). */
async function rssWithJobs(ctx: BenchContext, jobs: number): Promise<{ server: number | null; tree: number | null }> {
  // Scenario 3 reads the same figures from the same kind of server, when it ran at this size.
  const shared = ctx.shared.get(REGISTRY_KEY) as { large: RegistrySizeRun } | undefined;
  if (shared && shared.large.jobs === jobs) return { server: shared.large.rssMb, tree: shared.large.treeRssMb };
  const home = makeTempDir('memory-jobs');
  writeRegistry(home, Array.from({ length: jobs }, (_, i) => ({ id: jobId('daily', i), options: { cron: dailyCron(i), cmd: 'true' } })));
  const server = await startMxxServer({ label: 'memory-jobs', home, verbose: ctx.options.verbose });
  try {
    await sleep(500);
    return { server: rssMb(server.pid), tree: treeRssMb(server.pid) };
  } finally {
    await server.dispose();
  }
}

/** started_at of a run, once it is recorded: ms after `triggeredAt` (Date.now() before the trigger). */
async function triggerToStart(server: MxxServer, id: string): Promise<number | null> {
  const triggeredAt = Date.now();
  const runId = await trigger(server, id);
  await waitForRunEnd(server, runId);
  const record = (await callOk<RunRecord>('GET', `${server.api}/runs/${runId}`)).body;
  const started = record.started_at === null ? null : Date.parse(record.started_at);
  return started === null ? null : started - triggeredAt;
}

/**
 * The first run after a long idle against warm runs: a server whose threads retire after 60 s
 * without a run (src/pool.ts DEFAULT_IDLE_MS) is left alone longer than that while the rest of the
 * scenario runs, then triggered once. Trigger → started, from the run record (ms).
 */
class IdleProbe {
  private warm: number[] = [];
  private lastRunAt = 0;
  private constructor(private readonly server: MxxServer) {}

  static async start(ctx: BenchContext): Promise<IdleProbe> {
    const server = await startMxxServer({ label: 'memory-first-run', verbose: ctx.options.verbose });
    const probe = new IdleProbe(server);
    await callOk('POST', `${server.api}/jobs`, jobBody('idle-probe', { cmd: 'true', lifetime: 10 }));
    for (let i = 0; i < 12; i++) {
      const ms = await triggerToStart(server, 'idle-probe');
      // The first two compile and start what a cold server needs: not what "warm" means.
      if (i >= 2 && ms !== null) probe.warm.push(ms);
      await sleep(50);
    }
    probe.lastRunAt = performance.now();
    return probe;
  }

  /** Waits until the server has been idle `idleMs`, then runs once. */
  async finish(idleMs: number): Promise<{ warm: ReturnType<typeof summarize>; afterIdle: number | null; idleMs: number; treeRssMb: number | null }> {
    try {
      await sleep(Math.max(0, this.lastRunAt + idleMs - performance.now()));
      const idleFor = performance.now() - this.lastRunAt;
      const treeRss = treeRssMb(this.server.pid);
      const afterIdle = await triggerToStart(this.server, 'idle-probe');
      return { warm: summarize(this.warm), afterIdle, idleMs: idleFor, treeRssMb: treeRss };
    } finally {
      await this.server.dispose();
    }
  }
}

/** Edits one job file `edits` times; each time, ms until GET /registry/{id} shows the new command, and until fs.watch saw the write. */
async function hotReload(server: MxxServer, jobsDir: string, edits: number): Promise<{ reload: number[]; watched: number[] }> {
  const file = join(jobsDir, 'reload-probe.toml');
  writeFileSync(file, jobFile('0 0 4 * * *', 'echo v0'));
  await waitFor('the probe job', async () => ((await call('GET', `${server.api}/registry/reload-probe`)).status === 200 ? true : undefined), 10_000);
  const reload: number[] = [];
  const watched: number[] = [];
  let editedAt = 0;
  let seen = true;
  const watcher = watch(jobsDir, (_event, name) => {
    if (!seen && name === 'reload-probe.toml') {
      seen = true;
      watched.push(performance.now() - editedAt);
    }
  });
  try {
    for (let i = 1; i <= edits; i++) {
      // Apart enough that the watcher's write-finish wait does not merge two edits.
      await sleep(120);
      const cmd = `echo v${i}`;
      seen = false;
      editedAt = performance.now();
      writeFileSync(file, jobFile('0 0 4 * * *', cmd));
      await waitFor(
        `edit ${i} to show`,
        async () => ((await call<{ config?: { os?: { cmd?: string } } }>('GET', `${server.api}/registry/reload-probe`)).body.config?.os?.cmd === cmd ? true : undefined),
        10_000,
        2,
      );
      reload.push(performance.now() - editedAt);
    }
  } finally {
    watcher.close();
  }
  return { reload, watched };
}

export const memoryStartup: Scenario = {
  n: 9,
  id: 'memory',
  title: 'Memory, start-up and hot reload',
  async run(ctx) {
    const full = !ctx.options.quick;
    const n = ctx.pick(1000, 300);
    const big = ctx.pick(10_000, 1000);
    const only = (target: Target): { target?: Target } => (full ? { target } : {});
    const rows: Row[] = [];
    const details: Record<string, unknown> = {};
    // The bare process idles while the server starts and idles (both only wait).
    const bareRun = runAgent<{ rssMb: number }>('idle-node', {}, { timeoutMs: 30_000 });
    // Left idle while the rest runs (it only waits), then run once: the first run after a long idle.
    const idleProbe = await IdleProbe.start(ctx);

    // Idle server, then n registrations over the API.
    const idle = await startMxxServer({ label: 'memory-idle', verbose: ctx.options.verbose });
    const idleStartMs = idle.startMs;
    let idleRss: number | null;
    let idleTree: number | null;
    try {
      await sleep(ctx.pick(2000, 500));
      idleRss = rssMb(idle.pid);
      const bare = await bareRun;
      idleTree = treeRssMb(idle.pid);
      rows.push(
        row('RSS idle, server and helpers', idleTree, 'MB', {
          baseline: 'bare node process',
          baselineValue: bare.rssMb,
          target: atMost(idleTree, 60, '≤ 60 MB'),
          note: `server process alone ${idleRss === null ? '—' : Math.round(idleRss)} MB`,
        }),
      );
      const healthStart = performance.now();
      await inParallel(n, 8, async () => void (await callOk('GET', `${idle.api}/health`)));
      const healthMs = performance.now() - healthStart;
      ctx.log(`${n} registrations over the API`);
      const registerMs = await registerJobs(idle, Array.from({ length: n }, (_, i) => jobBody(jobId('api', i), { cron: dailyCron(i), cmd: 'true' })));
      rows.push(row(`${n} API registrations (8 in flight)`, registerMs, 'ms', { baseline: `${n} GET /health`, baselineValue: healthMs, ...only(atMost(registerMs, 2000, '≤ 2 s')) }));
      details.idle = { rssMb: idleRss, treeRssMb: idleTree, startMs: idle.startMs, registerMs, healthMs, bareRssMb: bare.rssMb };
      if (full) {
        // Every job on the same second: each registration compares itself with all the others.
        const same = await startMxxServer({ label: 'memory-same-second', verbose: ctx.options.verbose });
        try {
          ctx.log(`${n} registrations over the API, all firing at 03:00:00`);
          const sameMs = await registerJobs(same, Array.from({ length: n }, (_, i) => jobBody(jobId('same', i), { cron: '0 0 3 * * *', cmd: 'true' })));
          rows.push(row(`${n} API registrations, all on one second`, sameMs, 'ms', { baseline: 'distinct times', baselineValue: registerMs }));
          details.sameSecondRegisterMs = sameMs;
        } finally {
          await same.dispose();
        }
      }
    } finally {
      await idle.dispose();
    }

    const rssBig = await rssWithJobs(ctx, big);
    rows.push(
      row(`RSS with ${big} jobs, server and helpers`, rssBig.tree, 'MB', {
        baseline: 'idle server and helpers',
        baselineValue: idleTree,
        ...only(atMost(rssBig.tree, 120, '≤ 120 MB')),
        note: `server process alone ${rssBig.server === null ? '—' : Math.round(rssBig.server)} MB`,
      }),
    );
    details.rssWithJobs = { jobs: big, ...rssBig };

    // n job files at start, then hot reload in the same server.
    const home = makeTempDir('memory-files');
    const jobsDir = join(home, 'jobs');
    mkdirSync(jobsDir, { recursive: true });
    for (let i = 0; i < n; i++) writeFileSync(join(jobsDir, `${jobId('file', i)}.toml`), jobFile(dailyCron(i), 'true'));
    ctx.log(`start with ${n} job files`);
    const files = await startMxxServer({ label: 'memory-files', home, verbose: ctx.options.verbose });
    try {
      const health = (await callOk<{ jobs: number; load_errors: number }>('GET', `${files.api}/health`)).body;
      const loadMs = files.startMs - idleStartMs;
      rows.push(
        row(`start with ${n} job files − empty start`, loadMs, 'ms', {
          baseline: 'empty start',
          baselineValue: idleStartMs,
          ...only(holds(health.jobs === n && health.load_errors === 0 ? loadMs <= 1000 : false, '≤ 1 s')),
          note: `${health.jobs} jobs, ${health.load_errors} load errors`,
        }),
      );
      const edits = ctx.pick(50, 10);
      ctx.log(`hot reload: ${edits} edits`);
      const { reload, watched } = await hotReload(files, jobsDir, edits);
      const r = summarize(reload);
      const w = summarize(watched);
      rows.push(
        row('hot reload p50 (write → visible in API)', r.p50, 'ms', { baseline: 'fs.watch event', baselineValue: w.p50, target: atMost(r.p50, 100, '≤ 100 ms') }),
        row('hot reload p99', r.p99, 'ms', { baseline: 'fs.watch event', baselineValue: w.p99 }),
      );
      details.files = { n, startMs: files.startMs, loadMs, health, reload: r, watched: w };
    } finally {
      await files.dispose();
    }
    // A minute past the pool's 60 s idle retirement in the full run; quick waits 1 s (no target).
    const probe = await idleProbe.finish(ctx.pick(70_000, 1000));
    const warmP50 = probe.warm.p50;
    rows.push(
      row(`first run after ${Math.round(probe.idleMs / 1000)} s idle: trigger → started`, probe.afterIdle, 'ms', {
        baseline: 'warm run p50',
        baselineValue: warmP50,
        ...only(atMost(probe.afterIdle !== null && warmP50 ? probe.afterIdle / Math.max(warmP50, 1) : null, 2, '≤ 2× warm')),
        note: `server and helpers ${probe.treeRssMb === null ? '—' : Math.round(probe.treeRssMb)} MB before it`,
      }),
    );
    details.firstRunAfterIdle = probe;
    return { rows, details };
  },
};
