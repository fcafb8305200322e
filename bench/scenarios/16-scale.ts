/**
 * 16. Scale (speed issue #16): a server with 100 000 registered jobs — cron at varied times of day
 * and intervals of hours, none due in the window — beside one job firing every second. Start time
 * (spawn → listening, the registry loaded and every job armed), RSS, the every-second job's
 * lateness against the same job on a server with 10 jobs (same run), and GET /jobs: the whole list
 * and a page of 100 (`?limit=100`; a server that does not page answers everything). Quick: 5000 jobs.
 */
import { callOk } from '../lib/http.js';
import { dailyCron, jobId, type JobOptions, type MxxServer } from '../lib/mxx.js';
import { measureMxxPrecision, type MxxPrecisionResult } from '../lib/precision.js';
import { atMost, row, type BenchContext, type Row, type Scenario } from '../lib/scenario.js';
import { summarize } from '../lib/stats.js';

/** Jobs that never fire in a window of minutes: daily crons spread over the day, intervals of 1–12 h. */
function background(count: number): Array<{ id: string; options: JobOptions }> {
  return Array.from({ length: count }, (_, i) =>
    i % 2 === 0
      ? { id: jobId('cron', i), options: { cron: `${i % 60} ${dailyCron(Math.floor(i / 2)).slice(2)}`, cmd: 'true' } }
      : { id: jobId('interval', i), options: { every: 3600 * (1 + (i % 12)) + (i % 3600), cmd: 'true' } },
  );
}

interface ListingProbe {
  /** GET /jobs, all of it: ms (median of 3) and bytes. */
  allMs: number | null;
  allBytes: number;
  /** GET /jobs?limit=100: ms (median of 5) and how many jobs came back. */
  pageMs: number | null;
  pageJobs: number;
}

async function probeListing(server: MxxServer): Promise<ListingProbe> {
  const all: number[] = [];
  let allBytes = 0;
  for (let i = 0; i < 3; i++) {
    const answer = await callOk<{ jobs: unknown[] }>('GET', `${server.api}/jobs`, undefined, 120_000);
    all.push(answer.ms);
    allBytes = JSON.stringify(answer.body).length;
  }
  const page: number[] = [];
  let pageJobs = 0;
  for (let i = 0; i < 5; i++) {
    const answer = await callOk<{ jobs: unknown[] }>('GET', `${server.api}/jobs?limit=100`, undefined, 120_000);
    page.push(answer.ms);
    pageJobs = answer.body.jobs.length;
  }
  return { allMs: summarize(all).p50, allBytes, pageMs: summarize(page).p50, pageJobs };
}

async function window(ctx: BenchContext, jobs: number): Promise<MxxPrecisionResult> {
  const seconds = ctx.seconds(20, 4);
  ctx.log(`mxx: ${jobs.toLocaleString('en')} registered jobs + 1 every second, ${seconds} s`);
  return measureMxxPrecision(ctx, {
    jobs: 1,
    seconds,
    leadMs: ctx.pick(3000, 500),
    drainMs: ctx.pick(2000, 500),
    probeApi: false,
    background: background(jobs),
    beforeWindow: async (server) => ({ listing: await probeListing(server) }),
  });
}

export const scale: Scenario = {
  n: 16,
  id: 'scale',
  title: 'Scale: 100 000 registered jobs',
  async run(ctx) {
    const big = ctx.pick(100_000, 5000);
    const small = await window(ctx, 10);
    const large = await window(ctx, big);
    const s = summarize(small.lateness);
    const l = summarize(large.lateness);
    const listing = (large.before as { listing: ListingProbe } | undefined)?.listing;
    const name = big.toLocaleString('en').replace(/,/g, ' ');
    const full = !ctx.options.quick;
    const target = <T>(t: T): { target?: T } => (full ? { target: t } : {});
    const rows: Row[] = [
      row(`server start, ${name} jobs in the registry (spawn → listening)`, large.startMs / 1000, 's', {
        baseline: '10 jobs',
        baselineValue: small.startMs / 1000,
        ...target(atMost(large.startMs / 1000, 5, '≤ 5 s')),
      }),
      row(`server RSS, ${name} jobs`, large.rssMb, 'MB', { baseline: '10 jobs', baselineValue: small.rssMb, ...target(atMost(large.rssMb, 400, '≤ 400 MB')) }),
      row(`one every-second job beside ${name} jobs: lateness p99`, l.p99, 'ms', {
        baseline: 'same job, 10 jobs',
        baselineValue: s.p99,
        ...target(atMost(l.p99 !== null && s.p99 ? l.p99 / s.p99 : null, 1.2, '≤ 1.2× 10 jobs')),
        note: `p50 ${l.p50 ?? '—'} vs ${s.p50 ?? '—'} ms; fires lost ${large.lost} (10 jobs: ${small.lost})`,
      }),
      row(`GET /jobs?limit=100, ${name} jobs`, listing?.pageMs ?? null, 'ms', {
        baseline: 'GET /jobs (all)',
        baselineValue: listing?.allMs ?? null,
        ...target(atMost(listing ? listing.pageJobs : null, 100, 'paged: ≤ 100 jobs')),
        ...(listing ? { note: `${listing.pageJobs} jobs in the page; the whole list ${(listing.allBytes / 1e6).toFixed(1)} MB` } : {}),
      }),
    ];
    return { rows, details: { small: { ...small, lateness: undefined, lat: s }, large: { ...large, lateness: undefined, lat: l } } };
  },
};
