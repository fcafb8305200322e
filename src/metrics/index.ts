/** STUB (to be built): the Prometheus metrics of GET /metrics (SPEC §11), through prom-client. */
import type { NotificationCounts } from '../notify/types.js';
import type { Supervisor } from '../supervisor/index.js';

export interface MetricsOptions {
  notifications?: NotificationCounts;
}

export interface Metrics {
  /** The scrape answer (text format 0.0.4). */
  scrape(): Promise<{ contentType: string; body: string }>;
  /** Stops listening to the supervisor's events. */
  close(): void;
}

export function createMetrics(_supervisor: Supervisor, _options: MetricsOptions = {}): Metrics {
  return { scrape: async () => ({ contentType: 'text/plain; version=0.0.4; charset=utf-8', body: '' }), close: () => undefined };
}
