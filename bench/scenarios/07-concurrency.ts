/**
 * 7. Concurrency: 500 triggers over 50 jobs with `--max-concurrency 16`: the most runs observed at
 * once (≤ 16), the queue wait (trigger → started) and whether all completed. Baseline: a raw spawn
 * loop of the same command with 16 in flight (the wall time a perfect gate would take).
 */
import type { SpawnLoopResult } from '../agents/spawn-loop.js';
import { call, inParallel } from '../lib/http.js';
import { jobBody, jobId, lateness, ms, readHistory, registerJobs, startMxxServer, trigger } from '../lib/mxx.js';
import { runAgent } from '../lib/procs.js';
import { atMost, holds, row, type Scenario } from '../lib/scenario.js';
import { maxOverlap, summarize } from '../lib/stats.js';
import { waitFor } from '../lib/time.js';

export const concurrency: Scenario = {
  n: 7,
  id: 'concurrency',
  title: 'Concurrency limit (500 triggers, 50 jobs, max 16)',
  async run(ctx) {
    const triggers = 500;
    const jobs = 50;
    const limit = 16;
    const cmd = ctx.pick('sleep 0.2', 'sleep 0.02');
    const server = await startMxxServer({ label: 'concurrency', maxConcurrency: limit, verbose: ctx.options.verbose });
    try {
      const ids = Array.from({ length: jobs }, (_, i) => jobId('conc', i));
      await registerJobs(server, ids.map((id) => jobBody(id, { cmd, lifetime: 30, overlap: 'allow', maxInstances: triggers, history: triggers })));
      ctx.log(`mxx: ${triggers} triggers over ${jobs} jobs, max concurrency ${limit}, ${cmd}`);
      const t0 = performance.now();
      let refused = 0;
      await inParallel(triggers, 8, async (i) => {
        await trigger(server, ids[i % jobs]!).catch(() => refused++);
      });
      await waitFor(
        'all runs to end',
        async () => ((await call<{ running: number }>('GET', `${server.api}/health`)).body.running === 0 ? true : undefined),
        120_000,
        10,
      );
      const wallMs = performance.now() - t0;
      await server.stop();
      const records = await readHistory(server.paths);
      const runs = ids.flatMap((id) => records.list(id, 1_000_000));
      const intervals = runs.filter((r) => r.started_at && r.ended_at).map((r) => [ms(r.started_at)!, ms(r.ended_at)!] as const);
      const most = maxOverlap(intervals);
      const wait = summarize(runs.map(lateness).filter((l): l is number => l !== null));
      const completed = runs.filter((r) => r.status === 'completed').length;
      ctx.log(`raw spawn loop: ${triggers} × ${cmd}, ${limit} in flight`);
      const raw = await runAgent<SpawnLoopResult>('spawn-loop', { inFlight: limit, cmd, count: triggers }, { timeoutMs: 120_000 });
      return {
        rows: [
          row('most runs at once (from run records)', most, '', { target: atMost(most, limit, `≤ ${limit}`) }),
          row(`completed (of ${triggers})`, completed, '', { target: holds(completed === triggers && refused === 0, 'all') }),
          row('queue wait p50 (trigger → started)', wait.p50, 'ms'),
          row('queue wait p99', wait.p99, 'ms'),
          row(`wall time, ${triggers} × ${cmd}`, wallMs, 'ms', { baseline: `raw loop, ${limit} in flight`, baselineValue: raw.wallMs }),
        ],
        details: { triggers, jobs, limit, cmd, refused, completed, most, wait, wallMs, raw },
      };
    } finally {
      await server.dispose();
    }
  },
};
