/**
 * 4. Trigger throughput: M on-demand triggers of `true` over HTTP with K in flight, each counted
 * from the trigger to its exit being recorded (GET /runs/{id}/log?follow=true answers once the run
 * has ended), against a raw spawn loop with K in flight.
 */
import type { SpawnLoopResult } from '../agents/spawn-loop.js';
import { forkOrigin, jobBody, jobId, registerJobs, startMxxServer, trigger, waitForRunEnd } from '../lib/mxx.js';
import { runAgent } from '../lib/procs.js';
import { atLeast, row, type Scenario } from '../lib/scenario.js';
import { summarize } from '../lib/stats.js';

export const triggerThroughput: Scenario = {
  n: 4,
  id: 'throughput',
  title: 'Trigger throughput over HTTP',
  async run(ctx) {
    const total = ctx.pick(1000, 200);
    const inFlight = 16;
    const server = await startMxxServer({ label: 'throughput', verbose: ctx.options.verbose });
    let wallMs: number;
    let perRun: number[] = [];
    let origin: string;
    try {
      origin = await forkOrigin(server);
      const ids = Array.from({ length: inFlight }, (_, i) => jobId('tput', i));
      await registerJobs(server, ids.map((id) => jobBody(id, { cmd: 'true', lifetime: 30, history: total })));
      // Warm-up: threads, spawners and JIT (each lane its own job, as below).
      await Promise.all(ids.map(async (id) => {
        for (let i = 0; i < 2; i++) await waitForRunEnd(server, await trigger(server, id));
      }));
      ctx.log(`mxx: ${total} triggers, ${inFlight} in flight`);
      const t0 = performance.now();
      // Lane i owns job i, so the skip policy never refuses a trigger.
      let next = 0;
      await Promise.all(
        ids.map(async (id) => {
          while (next < total) {
            next++;
            const t = performance.now();
            await waitForRunEnd(server, await trigger(server, id));
            perRun.push(performance.now() - t);
          }
        }),
      );
      wallMs = performance.now() - t0;
    } finally {
      await server.dispose();
    }
    ctx.log(`raw spawn loop: ${total} spawns, ${inFlight} in flight`);
    const raw = await runAgent<SpawnLoopResult>('spawn-loop', { inFlight, cmd: 'true', count: total }, { timeoutMs: 120_000 });
    const rate = total / (wallMs / 1000);
    const e2e = summarize(perRun);
    // GET /runs/{id}/log?follow=true falls back to a 500 ms poll when it misses the run's end.
    const slow = perRun.filter((ms) => ms > 400).length;
    perRun = [];
    return {
      rows: [
        row(`runs/s, ${total} triggers, ${inFlight} in flight (fork from ${origin})`, rate, '/s', {
          baseline: `raw spawn loop, ${inFlight} in flight`,
          baselineValue: raw.rate,
          target: atLeast(raw.rate ? rate / raw.rate : null, 0.85, '≥ 0.85× raw loop'),
        }),
        row('trigger → exit recorded p50', e2e.p50, 'ms', { baseline: 'raw spawn → exit', baselineValue: raw.roundTrip.p50 }),
        row('trigger → exit recorded p99', e2e.p99, 'ms', {
          baseline: 'raw spawn → exit',
          baselineValue: raw.roundTrip.p99,
          note: `${slow} of ${total} took > 400 ms`,
        }),
      ],
      details: { total, inFlight, wallMs, rate, e2e, slowOver400ms: slow, raw, forkOrigin: origin },
    };
  },
};
