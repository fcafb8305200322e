/** The default process metrics on a private registry, and stopping what they start (src/metrics/default-metrics.ts). */
import { createRequire } from 'node:module';
import { setTimeout as delay } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { collectStoppableDefaultMetrics } from '../../src/metrics/default-metrics.js';
import { parseProm } from '../_prom.js';
import { waitFor } from '../_server.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const perfHooks = createRequire(import.meta.url)('node:perf_hooks') as typeof import('node:perf_hooks');

async function read(register: Registry): Promise<{ gcs: number; lagMin: number }> {
  const metrics = parseProm(await register.metrics());
  return {
    gcs: metrics.series('nodejs_gc_duration_seconds_count').reduce((sum, s) => sum + s.value, 0),
    lagMin: metrics.value('nodejs_eventloop_lag_min_seconds')!,
  };
}

describe('default process metrics', () => {
  it('go to the given registry only, and leave perf_hooks as they were', async () => {
    const { monitorEventLoopDelay, PerformanceObserver } = perfHooks;
    const register = new Registry();
    const defaults = collectStoppableDefaultMetrics(register);
    try {
      expect(perfHooks.monitorEventLoopDelay).toBe(monitorEventLoopDelay);
      expect(perfHooks.PerformanceObserver).toBe(PerformanceObserver);
      // Both things prom-client starts were caught: an upgrade that starts them otherwise fails here.
      expect(defaults.handles).toBe(2);
      const metrics = parseProm(await register.metrics());
      expect(metrics.types.get('process_cpu_seconds_total')).toBe('counter');
      expect(metrics.types.get('nodejs_eventloop_lag_seconds')).toBe('gauge');
      // A second registry in the same process: no "already registered" clash.
      const other = new Registry();
      collectStoppableDefaultMetrics(other).stop();
    } finally {
      defaults.stop();
    }
  });

  it('stop() ends the GC observer and the event-loop delay histogram', async () => {
    const register = new Registry();
    const defaults = collectStoppableDefaultMetrics(register);
    try {
      // Running: a GC is observed, and the delay histogram has samples (its minimum is a real delay).
      const before = await read(register);
      gc();
      await waitFor(async () => (await read(register)).gcs > before.gcs, 5000, 'the GC to be observed');
      await delay(50);
      expect((await read(register)).lagMin).toBeLessThan(1);
    } finally {
      defaults.stop();
    }
    await read(register); // resets the histogram
    const stopped = await read(register);
    gc();
    await delay(200);
    const after = await read(register);
    expect(after.gcs).toBe(stopped.gcs);
    // No sample since: an empty histogram's minimum is its initial value (~9.2e9 s).
    expect(after.lagMin).toBeGreaterThan(1e6);
  });
});
