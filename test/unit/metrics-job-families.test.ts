/**
 * The per-job families mxx writes itself (src/metrics/job-families.ts) against prom-client's own
 * serialization of the same values: the same HELP and TYPE lines, and the same sample lines (as
 * sets: the order of series within a family is not part of the format), byte for byte.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import {
  JOB_FAMILY_NAMES,
  JobFamilies,
  LAST_RUN,
  LAST_SUCCESS,
  NEXT_FIRE,
  RUN_DURATION,
  RUNS_TOTAL,
  type JobGaugeValues,
} from '../../src/metrics/job-families.js';
import { DURATION_BUCKETS } from '../../src/metrics/run-metrics.js';
import { parseProm } from '../_prom.js';

/** The same families through prom-client, fed the same calls. */
function promClientTwin() {
  const register = new Registry();
  const registers = [register];
  const runs = new Counter({ ...RUNS_TOTAL, labelNames: ['job', 'status'] as const, registers });
  const duration = new Histogram({ ...RUN_DURATION, labelNames: ['job'] as const, buckets: DURATION_BUCKETS, registers });
  const last = new Gauge({ ...LAST_RUN, labelNames: ['job', 'status'] as const, registers });
  const success = new Gauge({ ...LAST_SUCCESS, labelNames: ['job'] as const, registers });
  const next = new Gauge({ ...NEXT_FIRE, labelNames: ['job'] as const, registers });
  const gauged = new Map<string, JobGaugeValues>();
  const dropGauges = (job: string) => {
    const values = gauged.get(job);
    if (values?.last) last.remove({ job, status: values.last.status });
    success.remove({ job });
    next.remove({ job });
    gauged.delete(job);
  };
  return {
    register,
    countRun: (job: string, status: string) => runs.inc({ job, status }),
    observeDuration: (job: string, seconds: number) => duration.observe({ job }, seconds),
    setGauges(job: string, values: JobGaugeValues) {
      dropGauges(job);
      if (values.last) last.set({ job, status: values.last.status }, values.last.at);
      if (values.success !== null) success.set({ job }, values.success);
      if (values.nextFire !== null) next.set({ job }, values.nextFire);
      gauged.set(job, values);
    },
    dropGauges,
    remove(job: string) {
      dropGauges(job);
      for (const status of STATUSES) runs.remove({ job, status });
      duration.remove({ job });
    },
  };
}

/** Real ids and ones no job may have, that need every escape (the writer must not rely on the id rules). */
const JOBS = ['ok', 'nightly.backup-2_x', 'A', 'we"ird\\job\nid', 'trailing\\', 'quote"'];
const STATUSES = ['completed', 'failed', 'timed_out', 'cancelled', 'interrupted', 'skipped', 'missed', 'odd"st\\a\ntus'];
/** On the bounds, between them, above the last one, zero, and sums that are not exact in binary. */
const DURATIONS = [0, 0.1, 0.5, 1, 0.30000000000000004, 0.2, 7.25, 43200, 43200.001, 99999, 1e-9, 3600.5];

/** A deterministic sequence (mulberry32), so a failure replays. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function expectSame(ours: JobFamilies, twin: ReturnType<typeof promClientTwin>): Promise<void> {
  for (const [index, name] of JOB_FAMILY_NAMES.entries()) {
    const mine = ours.render(index);
    const theirs = await twin.register.getSingleMetricAsString(name);
    const [mineHelp, mineType, ...mineLines] = mine.split('\n');
    const [theirHelp, theirType, ...theirLines] = theirs.split('\n');
    expect([mineHelp, mineType], name).toEqual([theirHelp, theirType]);
    expect([...mineLines].sort(), name).toEqual([...theirLines].sort());
    expect(mine.endsWith('\n'), name).toBe(false);
    // Both read back as the same samples (and ours as valid text: the parser throws otherwise).
    const sort = (text: string) => parseProm(`${text}\n`).samples.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    expect(sort(mine), name).toEqual(sort(theirs));
  }
}

describe('the per-job families', () => {
  it('are empty families (HELP and TYPE only) before any job has a value', async () => {
    const ours = new JobFamilies(DURATION_BUCKETS);
    await expectSame(ours, promClientTwin());
    expect(ours.render(0)).toBe(
      '# HELP mxx_runs_total Runs that reached a final status since the server started, by job and status (skipped and missed fires included).\n' +
        '# TYPE mxx_runs_total counter',
    );
  });

  it('write what prom-client writes for the same counts, durations and gauges, labels that need escaping included', async () => {
    const ours = new JobFamilies(DURATION_BUCKETS);
    const twin = promClientTwin();
    const both = <K extends 'countRun' | 'observeDuration' | 'setGauges' | 'dropGauges' | 'remove'>(
      op: K,
      ...args: Parameters<JobFamilies[K]>
    ) => {
      (ours[op] as (...a: unknown[]) => void)(...args);
      (twin[op] as (...a: unknown[]) => void)(...args);
    };
    for (const job of JOBS) {
      for (const status of STATUSES) both('countRun', job, status);
      for (const seconds of DURATIONS) both('observeDuration', job, seconds);
      both('setGauges', job, { last: { status: 'odd"st\\a\ntus', at: 1_700_000_000.123 }, success: 1_699_999_999.5, nextFire: 1_700_000_060 });
    }
    await expectSame(ours, twin);

    // Values change after a render: the kept lines of those jobs are written again, the others kept.
    both('countRun', 'ok', 'completed');
    both('observeDuration', 'ok', 0.25);
    both('setGauges', 'A', { last: { status: 'failed', at: 1_700_000_100.001 }, success: 1_699_999_999.5, nextFire: null });
    both('setGauges', 'quote"', { last: null, success: null, nextFire: 1_700_000_200 });
    await expectSame(ours, twin);
    both('dropGauges', 'nightly.backup-2_x');
    both('remove', 'we"ird\\job\nid');
    await expectSame(ours, twin);
    expect(ours.render(0)).not.toContain('we\\"ird');
  });

  it('agree with prom-client over a long random sequence of calls, compared along the way', async () => {
    const ours = new JobFamilies(DURATION_BUCKETS);
    const twin = promClientTwin();
    const next = random(12);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
    const jobs = [...JOBS, ...Array.from({ length: 14 }, (_, i) => `job-${i}`)];
    const time = () => Math.round(1_700_000_000_000 + next() * 1e9) / 1000;
    for (let step = 1; step <= 3000; step++) {
      const job = pick(jobs);
      const roll = next();
      if (roll < 0.4) {
        const status = pick(STATUSES);
        ours.countRun(job, status);
        twin.countRun(job, status);
      } else if (roll < 0.75) {
        // Durations as run-metrics makes them: milliseconds / 1000.
        const seconds = (next() < 0.1 ? pick(DURATIONS) * 1000 : Math.floor(next() * 10 ** (1 + Math.floor(next() * 7)))) / 1000;
        ours.observeDuration(job, seconds);
        twin.observeDuration(job, seconds);
      } else if (roll < 0.95) {
        const values: JobGaugeValues = {
          last: next() < 0.8 ? { status: pick(STATUSES), at: time() } : null,
          success: next() < 0.7 ? time() : null,
          nextFire: next() < 0.6 ? time() : null,
        };
        ours.setGauges(job, values);
        twin.setGauges(job, values);
      } else if (roll < 0.98) {
        ours.dropGauges(job);
        twin.dropGauges(job);
      } else {
        ours.remove(job);
        twin.remove(job);
      }
      if (step % 97 === 0) await expectSame(ours, twin);
    }
    await expectSame(ours, twin);
  });
});
