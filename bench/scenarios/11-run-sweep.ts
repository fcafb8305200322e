/**
 * 11. End-of-run sweep cost: the same runs through the pool with the sweep (processes carrying the
 * run's MXX_RUN_ID ended at its end, found through /proc) on and off, as ratios; also with 500
 * extra idle processes, since a /proc scan grows with the process count.
 */
import type { SweepCostInput, SweepCostResult } from '../agents/sweep-cost.js';
import { runAgent } from '../lib/procs.js';
import { atLeast, atMost, row, type Row, type Scenario } from '../lib/scenario.js';
import { ratio } from '../lib/stats.js';

export const runSweep: Scenario = {
  n: 11,
  id: 'sweep',
  title: 'End-of-run sweep cost (sweep on ÷ off)',
  async run(ctx) {
    if (process.platform !== 'linux') return { rows: [], notes: ['skipped: the sweep reads /proc/PID/environ (Linux only)'] };
    const count = ctx.pick(2000, 300);
    const rows: Row[] = [];
    const details: Record<string, SweepCostResult> = {};
    for (const idleProcesses of [0, 500]) {
      ctx.log(`${count} runs of \`true\` per mode, 50 in flight, sweep on/off in turns, +${idleProcesses} idle processes`);
      const result = await runAgent<SweepCostResult>('sweep-cost', { count, rounds: 10, inFlight: 50, idleProcesses } satisfies SweepCostInput, { timeoutMs: 300_000 });
      details[`+${idleProcesses}`] = result;
      const label = `${result.processes} processes`;
      const throughput = ratio(result.on.throughput, result.off.throughput);
      rows.push(
        row(`throughput with sweep, ${label}`, result.on.throughput, 'runs/s', {
          baseline: 'sweep off',
          baselineValue: result.off.throughput,
          target: atLeast(throughput, 0.9, 'on ÷ off ≥ 0.9'),
        }),
        row(`run round trip p50 with sweep, ${label}`, result.on.roundTrip.p50, 'ms', {
          baseline: 'sweep off',
          baselineValue: result.off.roundTrip.p50,
          target: atMost(ratio(result.on.roundTrip.p50, result.off.roundTrip.p50), 1.2, 'on ÷ off ≤ 1.2'),
        }),
        row(`run round trip p99 with sweep, ${label}`, result.on.roundTrip.p99, 'ms', { baseline: 'sweep off', baselineValue: result.off.roundTrip.p99 }),
      );
    }
    return { rows, details };
  },
};
