/**
 * The Prometheus metrics of GET /metrics (SPEC §11), through prom-client: a private registry per
 * server (never prom-client's global one: one process may run many servers), fed by the event hub
 * (run counts and histograms) and read from the supervisor at each scrape (gauges). The five
 * per-job families are kept and written by JobFamilies (job-families.ts says why), next to
 * prom-client's families in the same answer.
 */
import { Counter, Registry } from 'prom-client';
import { NOTIFICATION_RESULTS, type NotificationCounts } from '../notify/types.js';
import type { Supervisor } from '../supervisor/index.js';
import { collectStoppableDefaultMetrics } from './default-metrics.js';
import { JOB_FAMILY_NAMES, JobFamilies } from './job-families.js';
import { createJobGauges } from './job-gauges.js';
import { LastRuns } from './last-runs.js';
import { createRunMetrics, DURATION_BUCKETS } from './run-metrics.js';

export interface MetricsOptions {
  /** The notifier's delivery counts, for mxx_notifications_total. @default all 0 */
  notifications?: NotificationCounts;
  /** Jobs read from the supervisor between two turns of the event loop in a scrape. @default 200 */
  readsPerTurn?: number;
}

export interface Metrics {
  /** The scrape answer (text format 0.0.4). */
  scrape(): Promise<{ contentType: string; body: string }>;
  /** Stops listening to the supervisor's events and stops the process metrics' observers. */
  close(): void;
}

export function createMetrics(supervisor: Supervisor, options: MetricsOptions = {}): Metrics {
  const register = new Registry();
  const defaults = collectStoppableDefaultMetrics(register);
  const lastRuns = new LastRuns();
  const families = new JobFamilies(DURATION_BUCKETS);
  const runMetrics = createRunMetrics(register, supervisor, lastRuns, families);
  const gauges = createJobGauges(register, supervisor, lastRuns, families, options.readsPerTurn);
  const { notifications } = options;
  new Counter({
    name: 'mxx_notifications_total',
    help: 'Notification deliveries since the server started, by result (delivered, failed after retries, retried).',
    labelNames: ['result'] as const,
    registers: [register],
    // The notifier owns the counts; a counter set from them at each scrape stays TYPE counter.
    collect() {
      const counts = notifications?.counts();
      this.reset();
      for (const result of NOTIFICATION_RESULTS) this.inc({ result }, counts?.[result] ?? 0);
    },
  });
  const unsubscribe = supervisor.events.subscribe(runMetrics.listener);
  let closed = false;
  return {
    async scrape() {
      await gauges.refresh();
      // Family by family, with a turn of the event loop between them, as register.metrics() would
      // write them but without holding the supervisor's thread for the whole answer: fires and run
      // ends do not wait behind a scrape. prom-client's families first, then the per-job ones, in
      // pieces joined once at the end (families apart by a blank line).
      const pieces: string[] = [];
      for (const metric of register.getMetricsAsArray()) {
        if (pieces.length > 0) pieces.push('\n\n');
        pieces.push(await register.getSingleMetricAsString(metric.name));
        await nextTurn();
      }
      for (const index of JOB_FAMILY_NAMES.keys()) {
        pieces.push('\n\n');
        families.write(index, pieces);
        await nextTurn();
      }
      pieces.push('\n');
      return { contentType: register.contentType, body: pieces.join('') };
    },
    close() {
      if (closed) return;
      closed = true;
      unsubscribe();
      defaults.stop();
    },
  };
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
