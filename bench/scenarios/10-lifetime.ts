/**
 * 10. Lifetime precision: deadline (child started + lifetime) → every process of the run dead,
 * p50/p99, watched from outside through /proc; and deadline → run recorded as ended. Baseline: a
 * plain setTimeout + SIGTERM to the group in a fresh process, watched the same way.
 */
import { callOk } from '../lib/http.js';
import { jobBody, ms, registerJobs, runsOf, startMxxServer, trigger, waitForRunEnd } from '../lib/mxx.js';
import { whenGroupDead } from '../lib/linux-proc.js';
import { runAgent } from '../lib/procs.js';
import { atMost, row, type Scenario } from '../lib/scenario.js';
import { summarize, type Summary } from '../lib/stats.js';
import { sleep } from '../lib/time.js';
import type { RunRecord } from '../../src/records.js';

export const lifetimePrecision: Scenario = {
  n: 10,
  id: 'lifetime',
  title: 'Lifetime precision (deadline → process gone)',
  async run(ctx) {
    const runs = ctx.pick(60, 15);
    const inFlight = 5;
    const lifetimeMs = 300;
    const cmd = 'sleep 5';
    const server = await startMxxServer({ label: 'lifetime', verbose: ctx.options.verbose });
    const goneAt = new Map<string, number>();
    let records: RunRecord[];
    try {
      await registerJobs(server, [jobBody('life', { cmd, lifetime: lifetimeMs / 1000, grace: 1, overlap: 'allow', maxInstances: inFlight * 2, history: runs + 20 })]);
      ctx.log(`mxx: ${runs} runs of ${cmd} with a ${lifetimeMs} ms lifetime, ${inFlight} at once`);
      let next = 0;
      await Promise.all(
        Array.from({ length: inFlight }, async () => {
          while (next < runs) {
            next++;
            const runId = await trigger(server, 'life');
            let pid: number | null = null;
            for (let i = 0; i < 2000 && pid === null; i++) {
              pid = (await callOk<RunRecord>('GET', `${server.api}/runs/${runId}`)).body.pid;
              if (pid === null) await sleep(1);
            }
            if (pid === null) throw new Error(`run ${runId} never started`);
            goneAt.set(runId, await whenGroupDead(pid));
            await waitForRunEnd(server, runId);
          }
        }),
      );
      records = (await runsOf(server, 'life', runs + 20)).filter((r) => goneAt.has(r.run_id));
    } finally {
      await server.dispose();
    }
    const gone: number[] = [];
    const ended: number[] = [];
    for (const r of records) {
      const deadline = ms(r.started_at)! + lifetimeMs;
      gone.push(goneAt.get(r.run_id)! - deadline);
      ended.push(ms(r.ended_at)! - deadline);
    }
    const timedOut = records.filter((r) => r.status === 'timed_out').length;
    ctx.log('baseline: setTimeout + SIGTERM');
    const raw = await runAgent<{ gone: Summary }>('lifetime-raw', { runs, inFlight, lifetimeMs, cmd }, { timeoutMs: 120_000 });
    const g = summarize(gone);
    const e = summarize(ended);
    return {
      rows: [
        row('deadline → processes gone p50', g.p50, 'ms', { baseline: 'setTimeout + SIGTERM', baselineValue: raw.gone.p50 }),
        row('deadline → processes gone p99', g.p99, 'ms', { baseline: 'setTimeout + SIGTERM', baselineValue: raw.gone.p99, target: atMost(g.p99, 20, '≤ 20 ms') }),
        row('deadline → run recorded ended p50', e.p50, 'ms', { note: `p99 ${e.p99 === null ? '—' : Math.round(e.p99)} ms, ${timedOut}/${records.length} timed_out` }),
      ],
      details: { runs, lifetimeMs, gone: g, ended: e, timedOut, raw },
    };
  },
};
