/**
 * prom-client's default process metrics on one registry, with a way to stop them. Most of them are
 * read at scrape time, but two start something that runs for the process's life: an event-loop
 * delay histogram (monitorEventLoopDelay, enabled and never disabled) and a GC PerformanceObserver
 * (never disconnected). prom-client hands back neither, so every server started in one process
 * (tests start dozens) would add another observer for good. We catch both as they are created.
 */
import { createRequire } from 'node:module';
import type { IntervalHistogram, PerformanceObserverCallback } from 'node:perf_hooks';
import { collectDefaultMetrics, type Registry } from 'prom-client';

// The CommonJS exports object prom-client reads `perf_hooks.X` from at call time (the ESM
// namespace is a frozen copy, so replacing a property there would not reach it).
const perfHooks = createRequire(import.meta.url)('node:perf_hooks') as typeof import('node:perf_hooks');

export interface DefaultMetrics {
  /** Histograms and observers caught while the metrics were created (2 with prom-client 15). */
  readonly handles: number;
  /** Disables the event-loop histogram and disconnects the GC observer. Safe to call twice. */
  stop(): void;
}

/**
 * collectDefaultMetrics({register}), wrapping perf_hooks' two factories for the duration of that
 * synchronous call only; nothing else can run in between, and they are put back in `finally`.
 */
export function collectStoppableDefaultMetrics(register: Registry): DefaultMetrics {
  const histograms: IntervalHistogram[] = [];
  const observers: InstanceType<typeof perfHooks.PerformanceObserver>[] = [];
  const { monitorEventLoopDelay, PerformanceObserver } = perfHooks;
  perfHooks.monitorEventLoopDelay = (options) => {
    const histogram = monitorEventLoopDelay(options);
    histograms.push(histogram);
    return histogram;
  };
  perfHooks.PerformanceObserver = class extends PerformanceObserver {
    constructor(callback: PerformanceObserverCallback) {
      super(callback);
      observers.push(this);
    }
  };
  try {
    collectDefaultMetrics({ register });
  } finally {
    perfHooks.monitorEventLoopDelay = monitorEventLoopDelay;
    perfHooks.PerformanceObserver = PerformanceObserver;
  }
  return {
    handles: histograms.length + observers.length,
    stop() {
      for (const histogram of histograms) histogram.disable();
      for (const observer of observers) observer.disconnect();
    },
  };
}
