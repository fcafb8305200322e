/**
 * The gauges read from the supervisor at scrape time: runs in progress and waiting, jobs by state,
 * load errors (prom-client gauges, set at each scrape: a few numbers), and each job's last run,
 * last success and next fire (JobFamilies).
 *
 * The per-job gauges follow the jobs' versions (JobView.version moves whenever anything a job's
 * status shows changes: a run starting or ending, a fire armed, a pause, a replacement, its file's
 * load error): a scrape reads supervisor.job(id) only for a job whose version moved since the last
 * scrape (or whose last run an event changed), and none at all while nothing moved. Run ends reach
 * LastRuns through events; a job's history is read only the first time it is seen. The next fire
 * has no event of its own (a fire re-arms silently), which is why it is read here, not followed.
 */
import { Gauge, type Registry } from 'prom-client';
import type { Supervisor } from '../supervisor/index.js';
import type { JobFamilies } from './job-families.js';
import type { LastRuns } from './last-runs.js';

/**
 * Every registry entry is in exactly one state (they add up to the job count): `broken` = an entry
 * that is not a valid job (kept, not armed) or a job whose file failed to load since (its last good
 * definition still runs); `on_demand` = no schedule (a pause changes nothing for those);
 * `paused` = a cancelled schedule; `scheduled` = the rest, armed or with its last fire behind it.
 */
export const JOB_STATES = ['scheduled', 'on_demand', 'paused', 'broken'] as const;
export type JobState = (typeof JOB_STATES)[number];

export interface JobGauges {
  /**
   * Sets every gauge to the supervisor's state now; series of jobs gone since go with it. Yields
   * between slices of `readsPerTurn` jobs read; concurrent refreshes share one pass.
   */
  refresh(): Promise<void>;
}

/**
 * Jobs read (supervisor.job, and the history the first time) between two turns of the event loop:
 * ~1 ms of work in saturation, ~4 ms the first time (1000 histories), instead of one block.
 */
export const DEFAULT_READS_PER_TURN = 200;

/** What the job counts need of a job, as of its version. */
interface Seen {
  version: number;
  onDemand: boolean;
  paused: boolean;
  /** The refresh that last listed it: a job not listed by the latest is gone. */
  pass: number;
}

export function createJobGauges(
  register: Registry,
  supervisor: Supervisor,
  lastRuns: LastRuns,
  families: JobFamilies,
  readsPerTurn = DEFAULT_READS_PER_TURN,
): JobGauges {
  const registers = [register];
  const active = new Gauge({ name: 'mxx_runs_active', help: 'Runs in progress (started, not yet ended).', registers });
  const queued = new Gauge({
    name: 'mxx_runs_queued',
    help: 'Runs waiting to start: for a free slot (max_concurrency) or behind their own job\'s run (overlap = "queue").',
    registers,
  });
  const jobs = new Gauge({ name: 'mxx_jobs', help: 'Registered jobs by state.', labelNames: ['state'] as const, registers });
  const loadErrors = new Gauge({ name: 'mxx_load_errors', help: 'Job files that failed to load, as in /health.', registers });

  const seen = new Map<string, Seen>();
  let pass = 0;
  let changes: number | null = null;
  let following: Promise<void> | null = null;

  /** Reads the job now: its state for the counts, its gauges for JobFamilies. */
  function read(id: string): Seen {
    const view = supervisor.job(id);
    const known: Seen = { version: view.version, onDemand: view.onDemand, paused: view.paused, pass };
    seen.set(id, known);
    const { last, success } = lastRuns.of(view, () => supervisor.runs(view.id));
    families.setGauges(id, {
      last: last && { status: last.status, at: last.at / 1000 },
      success: success === null ? null : success / 1000,
      nextFire: view.nextFire === null ? null : view.nextFire / 1000,
    });
    return known;
  }

  /** Reads the jobs whose version moved; forgets (and drops the gauges of) the jobs gone. */
  async function follow(): Promise<void> {
    // A run end moves the job's version in the same step as its event; the event's own mark is
    // kept too, so a last run is never left behind should the two ever come apart.
    const moved = lastRuns.takeMoved();
    // Taken before the pass: whatever changes while it yields is read by the next one.
    if (supervisor.changes === changes && moved.size === 0) return;
    changes = supervisor.changes;
    pass++;
    let reads = 0;
    for (const { id, version } of supervisor.listJobs()) {
      const known = seen.get(id);
      if (known?.version === version && !moved.has(id)) {
        known.pass = pass;
        continue;
      }
      if (++reads % readsPerTurn === 0) await nextTurn();
      // Removed while we yielded: not marked, so swept below (job.removed took its series already).
      if (supervisor.hasJob(id)) read(id);
    }
    for (const [id, known] of seen) {
      if (known.pass === pass) continue;
      seen.delete(id);
      families.dropGauges(id);
    }
  }

  return {
    async refresh() {
      // Waiting for a slot or behind its own run is accepted but not started; runningCount counts both.
      const waiting = supervisor.waitingCount;
      queued.set(waiting);
      active.set(Math.max(0, supervisor.runningCount - waiting));
      loadErrors.set(supervisor.listLoadErrors().length);
      // One pass at a time: two interleaved would each sweep what the other had not marked yet.
      await (following ??= follow().finally(() => (following = null)));

      // The entries, not the versions: an entry's load_error is set once saved, after the job's
      // version moved; and an entry that is not a valid job has no version at all.
      const byState: Record<JobState, number> = { scheduled: 0, on_demand: 0, paused: 0, broken: 0 };
      for (const entry of supervisor.entries()) {
        const id = entry.job_id;
        if (!supervisor.hasJob(id) || entry.load_error !== undefined) byState.broken++;
        else {
          // A job registered during the pass's last turns is read now.
          const known = seen.get(id) ?? read(id);
          byState[known.onDemand ? 'on_demand' : known.paused ? 'paused' : 'scheduled']++;
        }
      }
      for (const state of JOB_STATES) jobs.set({ state }, byState[state]);
    },
  };
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
