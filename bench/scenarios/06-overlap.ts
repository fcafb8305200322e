/**
 * 6. Overlap: a job every second whose command takes 1.5 s, for T s, under each policy (one job per
 * policy, all in one server): concurrent duplicates (0 except `allow`), skipped / queued / replaced
 * counts, and fires with no record (0; under `queue` in particular). Baseline: croner's own guard
 * (`protect: true`, a skip) with the same command, running beside it.
 */
import type { OverlapAgentInput, OverlapAgentResult } from '../agents/croner-overlap.js';
import { jobBody, ms, readHistory, registerJobs, startMxxServer } from '../lib/mxx.js';
import { runAgent } from '../lib/procs.js';
import { holds, row, type Row, type Scenario } from '../lib/scenario.js';
import { maxOverlap } from '../lib/stats.js';
import { sleepUntil } from '../lib/time.js';

const POLICIES = ['skip', 'queue', 'replace', 'allow'] as const;
/** A run that started this long after its planned instant waited (queued) rather than starting on time. */
const WAITED_MS = 250;

export const overlap: Scenario = {
  n: 6,
  id: 'overlap',
  title: 'Overlap policies (1.5 s command every 1 s)',
  async run(ctx) {
    const seconds = ctx.seconds(30, 2);
    const cmd = 'sleep 1.5';
    const server = await startMxxServer({ label: 'overlap', verbose: ctx.options.verbose });
    const rows: Row[] = [];
    const details: Record<string, unknown> = {};
    try {
      await registerJobs(
        server,
        POLICIES.map((policy) => jobBody(`overlap-${policy}`, { cron: '* * * * * *', cmd, lifetime: 10, grace: 1, overlap: policy, maxInstances: 3, history: seconds + 100 })),
      );
      const windowStart = Math.ceil((Date.now() + ctx.pick(1500, 300)) / 1000) * 1000;
      const windowEnd = windowStart + seconds * 1000;
      ctx.log(`mxx: 4 policies, ${seconds} s; croner protect beside it`);
      const croner = runAgent<OverlapAgentResult>('croner-overlap', { seconds, windowStart, cmd } satisfies OverlapAgentInput, { timeoutMs: seconds * 1000 + 60_000 });
      // Runs planned inside the window finish (or are interrupted by the shutdown: still a record).
      await sleepUntil(windowEnd + ctx.pick(3500, 1000));
      await server.stop();
      const baseline = await croner;
      const history = await readHistory(server.paths);
      for (const policy of POLICIES) {
        const records = history.list(`overlap-${policy}`, 1_000_000).filter((r) => {
          const planned = ms(r.scheduled_at);
          return planned !== null && planned >= windowStart && planned < windowEnd;
        });
        const intervals = records
          .filter((r) => r.started_at !== null && r.ended_at !== null)
          .map((r) => [ms(r.started_at)!, ms(r.ended_at)!] as const);
        const duplicates = Math.max(0, maxOverlap(intervals) - 1);
        const count = (predicate: (r: (typeof records)[number]) => boolean): number => records.filter(predicate).length;
        const started = intervals.length;
        const skipped = count((r) => r.status === 'skipped');
        const waited = count((r) => r.started_at !== null && ms(r.started_at)! - ms(r.scheduled_at)! > WAITED_MS);
        const replaced = count((r) => r.status === 'cancelled' && (r.error ?? '').startsWith('replaced by'));
        const lost = seconds - records.length;
        const byStatus: Record<string, number> = {};
        for (const r of records) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
        details[policy] = { fires: seconds, records: records.length, started, duplicates, skipped, waited, replaced, lost, byStatus };
        const dupTarget = policy === 'allow' ? holds(duplicates <= 2, '≤ max_instances − 1 (2)') : holds(duplicates === 0, '0');
        rows.push(
          row(`${policy}: concurrent duplicates`, duplicates, '', { target: dupTarget }),
          row(`${policy}: runs started / skipped / queued / replaced`, started, '', {
            note: `${skipped} skipped, ${waited} queued, ${replaced} replaced`,
            ...(policy === 'skip' ? { baseline: 'runs, croner protect', baselineValue: baseline.started } : {}),
          }),
          row(`${policy}: fires with no record (of ${seconds})`, lost, '', { target: holds(lost === 0, '0') }),
        );
      }
      details.croner = baseline;
    } finally {
      await server.dispose();
    }
    return { rows, details };
  },
};
