/**
 * 5. Pool overhead: a run's round trip through our piscina pool against the same run code on the
 * main thread (workers/spawn-run.ts), and tinypool behind the same interface (same worker file,
 * same per-task MessageChannel). An empty task shows the pools' own dispatch cost. All modes live
 * in one fresh process and take turns, so machine noise and the process's size hit them alike.
 */
import type { DispatchMode, PoolDispatchInput, PoolDispatchResult } from '../agents/pool-dispatch.js';
import { runAgent } from '../lib/procs.js';
import { atMost, row, type Row, type Scenario } from '../lib/scenario.js';
import { spawnerAvailable } from './03-registry-size.js';

export const poolOverhead: Scenario = {
  n: 5,
  id: 'pool',
  title: 'Pool overhead (dispatch round trip)',
  async run(ctx) {
    const count = ctx.pick(500, 60);
    const runModes: DispatchMode[] = ['main', 'piscina-thread', ...(spawnerAvailable() ? (['piscina-spawner'] as const) : []), 'tinypool-thread'];
    ctx.log(`${runModes.join(', ')}: ${count} runs of \`true\` each, in turns`);
    const runs = await runAgent<PoolDispatchResult>('pool-dispatch', { modes: runModes, count } satisfies PoolDispatchInput, { timeoutMs: 300_000 });
    ctx.log(`piscina / tinypool, empty task: ${count * 10} each, in turns`);
    const empty = await runAgent<PoolDispatchResult>('pool-dispatch', { modes: ['piscina-echo', 'tinypool-echo'], count: count * 10 } satisfies PoolDispatchInput, {
      timeoutMs: 120_000,
    });
    const p50 = (result: PoolDispatchResult, mode: DispatchMode, what: 'roundTrip' | 'started'): number | null => result.modes[mode]?.[what].p50 ?? null;
    const main = p50(runs, 'main', 'roundTrip');
    const thread = p50(runs, 'piscina-thread', 'roundTrip');
    const overhead = thread !== null && main !== null ? thread - main : null;
    const rows: Row[] = [
      row('pool overhead p50: piscina run − main-thread run', overhead, 'ms', {
        baseline: 'main-thread run (spawn-run.ts)',
        baselineValue: main,
        target: atMost(overhead, 0.5, '≤ 0.5 ms'),
      }),
      row('run round trip p50, piscina (thread forks)', thread, 'ms', { baseline: 'tinypool, same interface', baselineValue: p50(runs, 'tinypool-thread', 'roundTrip') }),
      row('call → started p50, piscina (thread forks)', p50(runs, 'piscina-thread', 'started'), 'ms', { baseline: 'main thread', baselineValue: p50(runs, 'main', 'started') }),
    ];
    if (runs.modes['piscina-spawner']) {
      rows.push(
        row('run round trip p50, piscina (spawner forks)', p50(runs, 'piscina-spawner', 'roundTrip'), 'ms', { baseline: 'main thread', baselineValue: main }),
        row('call → started p50, piscina (spawner forks)', p50(runs, 'piscina-spawner', 'started'), 'ms', { baseline: 'main thread', baselineValue: p50(runs, 'main', 'started') }),
      );
    }
    rows.push(row('empty task round trip p50, piscina', p50(empty, 'piscina-echo', 'roundTrip'), 'ms', { baseline: 'tinypool', baselineValue: p50(empty, 'tinypool-echo', 'roundTrip') }));
    return { rows, details: { count, runs, empty } };
  },
};
