/**
 * 1. Fire precision: jobs firing every second, with 1, 50 (all on the same second) and 1000 jobs:
 * lateness from the planned instant to the child's start, p50/p99/max, and fires lost. Baselines:
 * croner + spawn on the main thread, and Bree (a worker per run) doing the same work.
 */
import type { PrecisionAgentInput, PrecisionAgentResult } from '../agents/croner-main.js';
import { measureMxxPrecision, type MxxPrecisionResult } from '../lib/precision.js';
import { runAgent } from '../lib/procs.js';
import { holds, row, type BenchContext, type Row, type Scenario, type Target } from '../lib/scenario.js';
import { summarize } from '../lib/stats.js';

export const SATURATION_KEY = 'mxx-precision-1000';

async function baseline(ctx: BenchContext, agent: 'croner-main' | 'bree-main', input: PrecisionAgentInput): Promise<PrecisionAgentResult> {
  ctx.log(`${agent}: ${input.jobs} job(s), ${input.seconds} s`);
  return runAgent<PrecisionAgentResult>(agent, input, {
    timeoutMs: input.leadMs + input.seconds * 1000 + 60_000,
    verbose: ctx.options.verbose,
  });
}

export async function mxxPrecision(ctx: BenchContext, jobs: number): Promise<MxxPrecisionResult> {
  const cached = ctx.shared.get(SATURATION_KEY) as MxxPrecisionResult | undefined;
  if (jobs === 1000 && cached) return cached;
  const seconds = ctx.seconds(30, 1);
  ctx.log(`mxx: ${jobs} job(s) every second, ${seconds} s`);
  const result = await measureMxxPrecision(ctx, {
    jobs,
    seconds,
    leadMs: ctx.pick(2000, 200),
    drainMs: ctx.pick(2000, jobs >= 1000 ? 500 : 300),
    // The 1000-job run also serves the saturation scenario (quick), which reports the API meanwhile.
    probeApi: jobs >= 1000,
  });
  if (jobs === 1000) ctx.shared.set(SATURATION_KEY, result);
  return result;
}

export const firePrecision: Scenario = {
  n: 1,
  id: 'precision',
  title: 'Fire precision (planned instant → child started)',
  async run(ctx) {
    const seconds = ctx.seconds(30, 1);
    const leadMs = ctx.pick(2000, 200);
    const rows: Row[] = [];
    const details: Record<string, unknown> = {};
    const notes: string[] = [];
    for (const jobs of [1, 50, 1000]) {
      const mxx = await mxxPrecision(ctx, jobs);
      const input = { jobs, seconds, leadMs, cmd: 'true', drainMs: ctx.pick(2000, 300) };
      // 1000 croner jobs a second is the known collapse (half the fires lost); the full run shows it.
      // Quick runs one baseline of each kind (50 jobs) to keep the smoke test under a minute.
      const croner = jobs === 50 || !ctx.options.quick ? await baseline(ctx, 'croner-main', input) : null;
      // A worker thread per run, 1000 a second, would only measure the machine falling over.
      // Bree's fires run seconds late: give them time to report before counting them lost.
      const breeInput = { ...input, drainMs: ctx.pick(3000, 1000) };
      const bree = jobs === 50 || (jobs === 1 && !ctx.options.quick) ? await baseline(ctx, 'bree-main', breeInput) : null;
      const m = summarize(mxx.lateness);
      const c = croner ? summarize(croner.lateness) : null;
      const b = bree ? summarize(bree.lateness) : null;
      const label = jobs === 1 ? '1 job' : `${jobs} jobs on one second`;
      const cronerName = 'croner+spawn main thread';
      // Issue 16's goals: at most the original server's p99 (1.8 ms; 40 ms is half its 80 ms for 50
      // jobs) and at most half of croner + spawn on the main thread in the same run.
      const goal = (limitMs: number): Target =>
        holds(m.p99 === null || !c?.p99 ? null : m.p99 <= limitMs && m.p99 <= 0.5 * c.p99, `≤ ${limitMs} ms and ≤ 0.5× main thread`);
      const p99Target = jobs === 1 ? goal(1.8) : jobs === 50 ? goal(40) : undefined;
      // Without the baseline (quick), the row has none rather than an empty one.
      const vsCroner = (value: number | null | undefined): { baseline?: string; baselineValue?: number | null } =>
        c ? { baseline: cronerName, baselineValue: value ?? null } : {};
      rows.push(
        row(`${label}: late p50`, m.p50, 'ms', vsCroner(c?.p50)),
        row(`${label}: late p99`, m.p99, 'ms', { ...vsCroner(c?.p99), ...(p99Target ? { target: p99Target } : {}) }),
        row(`${label}: late max`, m.max, 'ms', vsCroner(c?.max)),
      );
      if (b) rows.push(row(`${label}: late p99`, m.p99, 'ms', { baseline: 'Bree (worker per run)', baselineValue: b.p99 }));
      const lostTarget = jobs === 50 ? { target: holds(mxx.lost === 0 && mxx.lateness.length === mxx.expected, 'none lost') } : {};
      rows.push(
        row(`${label}: fires not run (of ${mxx.expected})`, mxx.expected - mxx.lateness.length, '', {
          ...(croner ? { baseline: cronerName, baselineValue: croner.expected - croner.fired } : {}),
          ...lostTarget,
        }),
      );
      if (bree) rows.push(row(`${label}: fires not run (of ${mxx.expected})`, mxx.expected - mxx.lateness.length, '', { baseline: 'Bree', baselineValue: bree.expected - bree.fired }));
      details[`jobs_${jobs}`] = {
        mxx: { ...m, expected: mxx.expected, byStatus: mxx.byStatus, lostWithoutRecord: mxx.lost, rssMb: mxx.rssMb, startMs: mxx.startMs },
        croner: croner ? { ...c, expected: croner.expected, fired: croner.fired, rssMb: croner.rssMb } : null,
        bree: bree ? { ...b, expected: bree.expected, fired: bree.fired, rssMb: bree.rssMb } : null,
      };
      if (jobs === 1000 && mxx.lost > 0) notes.push(`1000 jobs: ${mxx.lost} fires of the window left no run record at all (silently lost).`);
    }
    if (ctx.options.quick) notes.push('quick: 1 s windows; croner with 1 and 1000 jobs and Bree with 1 job not run (full run only).');
    return { rows, details, notes };
  },
};
