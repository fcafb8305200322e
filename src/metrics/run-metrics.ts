/**
 * The metrics fed by the event hub: runs by job and status and run durations (the per-job
 * families, kept by JobFamilies), and fire lateness (prom-client). The listener does O(1) work per
 * event. Label values are job ids and a fixed set of statuses.
 */
import { Histogram, type Registry } from 'prom-client';
import type { EventListener } from '../events/hub.js';
import type { EventOf } from '../events/types.js';
import type { Supervisor } from '../supervisor/index.js';
import type { JobFamilies } from './job-families.js';
import type { LastRuns } from './last-runs.js';

/**
 * Seconds: 0.1 s … 12 h (a job's runs take from a blink to a nightly batch). Ten buckets: every
 * job has its own histogram, so each bucket is a series per job in every scrape.
 */
export const DURATION_BUCKETS = [0.1, 0.5, 1, 5, 15, 60, 300, 1800, 7200, 43200];
/** Seconds: 1 ms … 5 min (a healthy server fires within milliseconds; a catch-up fire is minutes late). */
export const LATENESS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/** The run's end as its record has it (so a job learnt from its history and one kept up by events agree). */
function endedAt(event: EventOf<'run.ended'>): number {
  const ended = event.ended_at === null ? Number.NaN : Date.parse(event.ended_at);
  return Number.isFinite(ended) ? ended : Date.parse(event.time);
}

export interface RunMetrics {
  listener: EventListener;
}

export function createRunMetrics(register: Registry, supervisor: Supervisor, lastRuns: LastRuns, families: JobFamilies): RunMetrics {
  const lateness = new Histogram({
    name: 'mxx_fire_lateness_seconds',
    help: 'Seconds from the instant a scheduled fire or retry was due (jitter included) to the start of its process.',
    buckets: LATENESS_BUCKETS,
    registers: [register],
  });
  // A run of a job removed meanwhile ends without a series: removal took the job's series away.
  // The registry entry covers the start of the server (runs found interrupted) before jobs are installed.
  const registered = (jobId: string): boolean => supervisor.hasJob(jobId) || supervisor.entry(jobId) !== undefined;

  const listener: EventListener = (event) => {
    switch (event.type) {
      case 'run.started': {
        if (event.trigger === 'manual' || event.scheduled_at === null || event.started_at === null) return;
        const late = (Date.parse(event.started_at) - Date.parse(event.scheduled_at)) / 1000;
        // Started a hair before its instant (the clock's millisecond rounding) counts as on time.
        if (Number.isFinite(late)) lateness.observe(Math.max(0, late));
        return;
      }
      case 'run.ended':
        if (!registered(event.job_id)) return;
        families.countRun(event.job_id, event.status);
        if (event.duration_ms !== null) families.observeDuration(event.job_id, event.duration_ms / 1000);
        lastRuns.ended(event.job_id, event.status, endedAt(event));
        return;
      case 'run.skipped':
      case 'run.missed':
        if (registered(event.job_id)) families.countRun(event.job_id, event.type === 'run.skipped' ? 'skipped' : 'missed');
        return;
      case 'job.removed':
        families.remove(event.job_id);
        lastRuns.forget(event.job_id);
        return;
      default:
        return;
    }
  };
  return { listener };
}
