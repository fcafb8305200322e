/**
 * Fire accounting from the run history and the marker files.
 * - statuses: every record ends in a final status; nothing is left running or queued.
 * - duplicates: no two schedule records of one job share a scheduled_at, and no fire started its
 *   process under two run ids (markers).
 * - accounting: each fire of an accounted job inside its window has a record (ran, failed,
 *   timed out, skipped, interrupted, …) or is covered by a coalesced `missed` record: after
 *   downtime the server records older missed fires as one `missed` record carrying the newest of
 *   them, so a fire without a record of its own is covered when the next record after it is `missed`.
 *   A record whose scheduled_at is no fire of the schedule is an error, and so is a process that
 *   started (marker) whose run has no record or is recorded as missed/skipped.
 */
import { firesBetween, isFire, type ScheduleClass } from '../plan.js';
import type { BadLine, Mark, Run } from '../records.js';
import { verdict, type Invariant } from './invariant.js';

export const FINAL_STATUSES = new Set(['completed', 'failed', 'timed_out', 'cancelled', 'skipped', 'missed', 'interrupted']);

export interface AccountedJob {
  id: string;
  cls: ScheduleClass;
  /** Fires from here on must be accounted for (the job's acknowledged registration plus a margin). */
  fromMs: number;
}

export interface FireData {
  runs: Map<string, Run[]>;
  marks: Map<string, Mark[]>;
  /** Accounted jobs; every other job is checked for statuses and duplicates only. */
  accounted: AccountedJob[];
  /** Fires after this are not required (the final stop). */
  toMs: number;
  /** When the server was listening, for the evidence. */
  up: Array<[number, number]>;
  /** From spawning a server to its "listening on" line (it loads and arms jobs meanwhile). */
  starting?: Array<[number, number]>;
  /** History lines that are not JSON; only a file's last line may be torn (a kill mid-write). */
  badLines?: BadLine[];
}

const iso = (ms: number): string => new Date(ms).toISOString();
const msOf = (text: string | null): number => (text === null ? Number.NaN : Date.parse(text));
const scheduleRuns = (runs: Run[]): Run[] => runs.filter((r) => r.trigger === 'schedule' && r.scheduled_at !== null);

export function checkStatuses(data: FireData): Invariant {
  const offenders: string[] = [];
  let total = 0;
  for (const [job, runs] of data.runs) {
    for (const run of runs) {
      total++;
      if (!FINAL_STATUSES.has(run.status)) offenders.push(`${job} ${run.run_id} scheduled ${run.scheduled_at}: status ${run.status}`);
    }
  }
  return verdict(
    'statuses',
    {
      [`of ${total} records not in a final status (running/queued left behind, or unknown)`]: offenders,
      'unreadable history lines before the end of their file': (data.badLines ?? []).filter((b) => !b.last).map((b) => `server/runs/${b.file} line ${b.line} is not JSON: ${b.excerpt ?? ''}`),
    },
    `${total} records, all in a final status (none running or queued after the final stop); every history line readable but a torn last one`,
  );
}

export function checkDuplicates(data: FireData): Invariant {
  const records: string[] = [];
  const started: string[] = [];
  let fires = 0;
  for (const [job, runs] of data.runs) {
    const byFire = new Map<number, Run[]>();
    for (const run of scheduleRuns(runs)) {
      const at = msOf(run.scheduled_at);
      byFire.set(at, [...(byFire.get(at) ?? []), run]);
    }
    fires += byFire.size;
    for (const [at, same] of byFire) {
      if (same.length > 1) records.push(`${job} fire ${iso(at)}: ${same.length} records (${same.map((r) => `${r.status} ${r.run_id}`).join(', ')})`);
    }
  }
  for (const [job, marks] of data.marks) {
    const byFire = new Map<number, Set<string>>();
    for (const mark of marks) {
      const at = msOf(mark.scheduledAt);
      byFire.set(at, (byFire.get(at) ?? new Set()).add(mark.runId));
    }
    for (const [at, ids] of byFire) {
      if (ids.size > 1) started.push(`${job} fire ${iso(at)}: its process started ${ids.size} times (runs ${[...ids].join(', ')})`);
    }
  }
  return verdict(
    'no-duplicate-fire',
    { 'fires with two or more schedule records': records, "fires whose process started under two or more run ids": started },
    `${fires} fires recorded, none twice; no fire's process started twice`,
  );
}

const within = (spans: Array<[number, number]>, t: number): boolean => spans.some(([from, to]) => t >= from && t <= to);

function serverStateAt(data: FireData, t: number): 'up' | 'starting' | 'down' {
  return within(data.up, t) ? 'up' : within(data.starting ?? [], t) ? 'starting' : 'down';
}

export interface AccountingFigures {
  expected: number;
  recorded: number;
  coveredByMissed: number;
  unaccountedUp: number;
  unaccountedDown: number;
}

export function checkAccounting(data: FireData): { invariant: Invariant; figures: AccountingFigures } {
  const figures: AccountingFigures = { expected: 0, recorded: 0, coveredByMissed: 0, unaccountedUp: 0, unaccountedDown: 0 };
  const offGrid: string[] = [];
  const unaccounted: string[] = [];
  const unrecorded: string[] = [];
  const contradicted: string[] = [];
  for (const job of data.accounted) {
    const runs = scheduleRuns(data.runs.get(job.id) ?? []).sort((a, b) => msOf(a.scheduled_at) - msOf(b.scheduled_at));
    const times = runs.map((r) => msOf(r.scheduled_at));
    for (const run of runs) {
      if (!isFire(job.cls, msOf(run.scheduled_at))) offGrid.push(`${job.id}: record ${run.run_id} (${run.status}) for ${run.scheduled_at}, which is no fire of ${job.cls.name}`);
    }
    let at = 0;
    for (const t of firesBetween(job.cls, job.fromMs, data.toMs)) {
      figures.expected++;
      while (at < times.length && times[at]! < t) at++;
      if (times[at] === t) {
        figures.recorded++;
      } else if (runs[at]?.status === 'missed') {
        figures.coveredByMissed++;
      } else {
        const state = serverStateAt(data, t);
        figures[state === 'up' ? 'unaccountedUp' : 'unaccountedDown']++;
        const after = runs[at];
        unaccounted.push(
          `${job.id} fire ${iso(t)} (server ${state}): no record; next record ${after ? `${after.status} for ${after.scheduled_at}` : 'none'}`,
        );
      }
    }
  }
  for (const [job, marks] of data.marks) {
    const byRun = new Map((data.runs.get(job) ?? []).map((r) => [r.run_id, r]));
    for (const mark of marks) {
      const run = byRun.get(mark.runId);
      if (!run) unrecorded.push(`${job} fire ${mark.scheduledAt}: process of run ${mark.runId} started, but the history has no record of that run`);
      else if (run.status === 'missed' || run.status === 'skipped') contradicted.push(`${job} fire ${mark.scheduledAt}: run ${mark.runId} started a process but is recorded ${run.status}`);
    }
  }
  const invariant = verdict(
    'fires-accounted',
    {
      [`of ${figures.expected} fires without a record or a missed record covering them (${figures.unaccountedUp} while the server was up)`]: unaccounted,
      'records for an instant that is no fire of the schedule': offGrid,
      'started processes (markers) whose run has no record': unrecorded,
      'started processes recorded as missed or skipped': contradicted,
    },
    `${figures.expected} fires of ${data.accounted.length} jobs: ${figures.recorded} recorded, ${figures.coveredByMissed} covered by a coalesced missed record; every started process recorded`,
  );
  return { invariant, figures };
}
