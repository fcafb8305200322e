/**
 * N jobs on `* * * * * *` in the real server for a window of whole seconds: lateness from the
 * planned instant to the child's start (both from the run records), and what became of every fire
 * planned inside the window. Shared by the precision and saturation scenarios.
 */
import type { RunRecord } from '../../src/records.js';
import { call } from './http.js';
import { makeTempDir } from './home.js';
import { jobId, lateness, type JobOptions, ms, readHistory, startMxxServer, trigger, waitForRunEnd, writeRegistry, type MxxServer } from './mxx.js';
import { rssMb, serverCpuMs } from './linux-proc.js';
import type { BenchContext } from './scenario.js';
import { sleep, sleepUntil } from './time.js';

export interface MxxPrecisionOptions {
  jobs: number;
  seconds: number;
  /** The window starts at the first whole second at least this long after registration. */
  leadMs: number;
  /** After the window: time for fires planned inside it to start before shutdown. */
  drainMs: number;
  /** Probe the API (GET /health, GET /jobs/{id}) all along the window. */
  probeApi: boolean;
  maxConcurrency?: number;
  /** The jobs' command. @default 'true' */
  cmd?: string;
  /** The jobs' [notify] section. @default none */
  notify?: Record<string, unknown>;
  /** More registered jobs that do not fire inside the window (a large registry beside the fires). */
  background?: Array<{ id: string; options: JobOptions }>;
  /** Called once the server is up and warm, before the window (e.g. API probes of its size). */
  beforeWindow?: (server: MxxServer) => Promise<Record<string, unknown>>;
  /** Started at the window's start, stopped at its end: load or probes beside the fires (event stream readers, scrapes). */
  observe?: (server: MxxServer, windowEnd: number) => WindowObserver;
}

/** Something running beside the fires for the window; its figures go into the result's `observed`. */
export interface WindowObserver {
  stop(): Promise<Record<string, unknown>>;
}

export interface MxxPrecisionResult {
  jobs: number;
  seconds: number;
  windowStart: number;
  windowEnd: number;
  /** ms from spawning the server to its "listening" line, with the jobs in its registry. */
  startMs: number;
  /** ms late for each fire of the window that started. */
  lateness: number[];
  expected: number;
  /** Run records for fires planned inside the window, by final status. */
  byStatus: Record<string, number>;
  /** Fires of the window with no run record at all: silently lost. */
  lost: number;
  /** Runs whose child started inside the window, per second. */
  startRate: number;
  /** API round trips during the window, ms. */
  api: number[];
  /** GET /health round trips of a server without jobs (same build, started just before), ms. */
  idleApi: number[];
  apiErrors: number;
  rssMb: number | null;
  /** CPU used during the window, ms: the server's threads, its spawner processes, the runs they reaped (Linux). */
  cpuMs: { server: number; helpers: number; runs: number } | null;
  /** What options.observe reported. */
  observed?: Record<string, unknown>;
  /** What options.beforeWindow reported. */
  before?: Record<string, unknown>;
}

/** GET /health round trips on a server with no jobs: the API's latency when nothing else happens. */
async function idleApiLatency(ctx: BenchContext): Promise<number[]> {
  const server = await startMxxServer({ label: 'idle-api', verbose: ctx.options.verbose });
  try {
    const out: number[] = [];
    // The first calls compile the routes; the figure is the warm one.
    for (let i = 0; i < 80; i++) {
      const answer = await call('GET', `${server.api}/health`);
      if (i >= 20) out.push(answer.ms);
      await sleep(5);
    }
    return out;
  } finally {
    await server.dispose();
  }
}

export async function measureMxxPrecision(ctx: BenchContext, options: MxxPrecisionOptions): Promise<MxxPrecisionResult> {
  const idleApi = options.probeApi ? await idleApiLatency(ctx) : [];
  // The jobs are in the registry at start (as after a restart): registering 1000 every-second jobs
  // over the API takes long (each registration compares its fires with every other job's).
  const ids = Array.from({ length: options.jobs }, (_, i) => jobId('every-second', i));
  const home = makeTempDir(`precision-${options.jobs}`);
  writeRegistry(home, [
    ...ids.map((id) => ({
      id,
      options: { cron: '* * * * * *', cmd: options.cmd ?? 'true', lifetime: 30, history: options.seconds + 200, ...(options.notify ? { notify: options.notify } : {}) },
    })),
    { id: 'warm-up', options: { cmd: 'true', overlap: 'allow' as const, maxInstances: 8 } },
    ...(options.background ?? []),
  ]);
  const server = await startMxxServer({
    label: `precision-${options.jobs}`,
    home,
    verbose: ctx.options.verbose,
    ...(options.maxConcurrency === undefined ? {} : { maxConcurrency: options.maxConcurrency }),
  });
  try {
    // Threads, spawner processes and JIT warm before the window, so its first fires are not cold starts.
    await Promise.all(Array.from({ length: 4 }, async () => waitForRunEnd(server, await trigger(server, 'warm-up'))));
    const before = options.beforeWindow ? await options.beforeWindow(server) : undefined;
    const windowStart = Math.ceil((Date.now() + options.leadMs) / 1000) * 1000;
    const windowEnd = windowStart + options.seconds * 1000;
    const api: number[] = [];
    let apiErrors = 0;
    let rss: number | null = null;
    await sleepUntil(windowStart);
    const cpuAtStart = serverCpuMs(server.pid);
    const observer = options.observe?.(server, windowEnd);
    if (options.probeApi) {
      let i = 0;
      while (Date.now() < windowEnd - 50) {
        const path = i++ % 2 === 0 ? '/health' : `/jobs/${ids[i % ids.length]}`;
        try {
          const answer = await call('GET', `${server.api}${path}`, undefined, 10_000);
          if (answer.status === 200) api.push(answer.ms);
          else apiErrors++;
        } catch {
          apiErrors++;
        }
        rss = Math.max(rss ?? 0, rssMb(server.pid) ?? 0);
        await sleep(50);
      }
    } else {
      await sleepUntil(windowEnd - 500);
      rss = rssMb(server.pid);
    }
    let observed: Record<string, unknown> | undefined;
    await sleepUntil(windowEnd);
    const cpuAtEnd = serverCpuMs(server.pid);
    if (observer) observed = await observer.stop();
    await sleepUntil(windowEnd + options.drainMs);
    const stopAt = performance.now();
    await server.stop();
    const stoppedAt = performance.now();
    const runs = await readHistory(server.paths);
    if (ctx.options.verbose) ctx.log(`stop ${Math.round(stoppedAt - stopAt)} ms, history read ${Math.round(performance.now() - stoppedAt)} ms`);
    const late: number[] = [];
    const byStatus: Record<string, number> = {};
    let recorded = 0;
    let startedInWindow = 0;
    for (const id of ids) {
      for (const record of runs.list(id, 1_000_000) as RunRecord[]) {
        const started = ms(record.started_at);
        if (started !== null && started >= windowStart && started < windowEnd) startedInWindow++;
        const planned = ms(record.scheduled_at);
        if (planned === null || planned < windowStart || planned >= windowEnd) continue;
        recorded++;
        byStatus[record.status] = (byStatus[record.status] ?? 0) + 1;
        const l = lateness(record);
        if (l !== null) late.push(l);
      }
    }
    const expected = options.jobs * options.seconds;
    return {
      jobs: options.jobs,
      seconds: options.seconds,
      windowStart,
      windowEnd,
      startMs: server.startMs,
      lateness: late,
      expected,
      byStatus,
      lost: expected - recorded,
      startRate: startedInWindow / options.seconds,
      api,
      idleApi,
      apiErrors,
      rssMb: rss,
      cpuMs:
        cpuAtStart && cpuAtEnd
          ? {
              server: cpuAtEnd.server - cpuAtStart.server,
              helpers: cpuAtEnd.helpers - cpuAtStart.helpers,
              runs: cpuAtEnd.runs - cpuAtStart.runs,
            }
          : null,
      ...(observed ? { observed } : {}),
      ...(before ? { before } : {}),
    };
  } finally {
    await server.dispose();
  }
}
