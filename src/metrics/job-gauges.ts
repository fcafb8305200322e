/**
 * The gauges read from the supervisor at scrape time: runs in progress and waiting, jobs by state,
 * load errors, and each job's last run, last success and next fire. One pass over the registry,
 * one supervisor.job(id) per job; a job's history is read only the first time it is seen.
 */
import { Gauge, type Registry } from 'prom-client';
import type { Supervisor } from '../supervisor/index.js';
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
  /** Sets every gauge to the supervisor's state now; series of jobs gone since go with it. */
  refresh(): void;
}

export function createJobGauges(
  register: Registry,
  supervisor: Supervisor,
  lastRuns: LastRuns,
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
  const lastRun = new Gauge({
    name: 'mxx_job_last_run_timestamp_seconds',
    help: 'When the job\'s last run ended (skipped and missed fires excluded), labelled with its status.',
    labelNames: ['job', 'status'] as const,
    registers,
  });
  const lastSuccess = new Gauge({
    name: 'mxx_job_last_success_timestamp_seconds',
    help: 'When the job\'s last completed run ended.',
    labelNames: ['job'] as const,
    registers,
  });
  const nextFire = new Gauge({
    name: 'mxx_job_next_fire_timestamp_seconds',
    help: 'The nominal instant of the job\'s next fire; absent when none is armed (on demand, paused, schedule over).',
    labelNames: ['job'] as const,
    registers,
  });

  return {
    refresh() {
      // Waiting for a slot or behind its own run is accepted but not started; runningCount counts both.
      const waiting = supervisor.waitingCount;
      queued.set(waiting);
      active.set(Math.max(0, supervisor.runningCount - waiting));
      loadErrors.set(supervisor.listLoadErrors().length);

      const byState: Record<JobState, number> = { scheduled: 0, on_demand: 0, paused: 0, broken: 0 };
      lastRun.reset();
      lastSuccess.reset();
      nextFire.reset();
      for (const entry of supervisor.entries()) {
        if (!supervisor.hasJob(entry.job_id)) {
          byState.broken++;
          continue;
        }
        const view = supervisor.job(entry.job_id);
        const state: JobState =
          entry.load_error !== undefined ? 'broken' : view.onDemand ? 'on_demand' : view.paused ? 'paused' : 'scheduled';
        byState[state]++;
        const job = { job: view.id };
        const known = lastRuns.of(view, () => supervisor.runs(view.id));
        if (known.last) lastRun.set({ ...job, status: known.last.status }, known.last.at / 1000);
        if (known.success !== null) lastSuccess.set(job, known.success / 1000);
        if (view.nextFire !== null) nextFire.set(job, view.nextFire / 1000);
      }
      for (const state of JOB_STATES) jobs.set({ state }, byState[state]);
    },
  };
}
