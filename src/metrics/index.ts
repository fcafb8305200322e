/**
 * The Prometheus metrics of GET /metrics (SPEC §11), through prom-client: a private registry per
 * server (never prom-client's global one: one process may run many servers), fed by the event hub
 * (run counts and histograms) and read from the supervisor at each scrape (gauges).
 */
import { Counter, Registry } from 'prom-client';
import { NOTIFICATION_RESULTS, type NotificationCounts } from '../notify/types.js';
import type { Supervisor } from '../supervisor/index.js';
import { collectStoppableDefaultMetrics } from './default-metrics.js';
import { createJobGauges } from './job-gauges.js';
import { LastRuns } from './last-runs.js';
import { createRunMetrics } from './run-metrics.js';

export interface MetricsOptions {
  /** The notifier's delivery counts, for mxx_notifications_total. @default all 0 */
  notifications?: NotificationCounts;
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
  const runMetrics = createRunMetrics(register, supervisor, lastRuns);
  const gauges = createJobGauges(register, supervisor, lastRuns);
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
      gauges.refresh();
      // Family by family, with a turn of the event loop between them, as register.metrics() would
      // write them but without holding the supervisor's thread for the whole answer (~20–40 ms for
      // 1000 jobs under load: fires and run ends waited behind it).
      const families: string[] = [];
      for (const metric of register.getMetricsAsArray()) {
        families.push(await register.getSingleMetricAsString(metric.name));
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      return { contentType: register.contentType, body: `${families.join('\n\n')}\n` };
    },
    close() {
      if (closed) return;
      closed = true;
      unsubscribe();
      defaults.stop();
    },
  };
}
