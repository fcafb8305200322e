/** The scenarios of the benchmark issue, in its order. */
import type { Scenario } from '../lib/scenario.js';
import { firePrecision } from './01-fire-precision.js';
import { saturation } from './02-saturation.js';
import { registrySize } from './03-registry-size.js';
import { triggerThroughput } from './04-trigger-throughput.js';
import { poolOverhead } from './05-pool-overhead.js';
import { overlap } from './06-overlap.js';
import { concurrency } from './07-concurrency.js';
import { api } from './08-api.js';
import { memoryStartup } from './09-memory-startup.js';
import { lifetimePrecision } from './10-lifetime.js';
import { runSweep } from './11-run-sweep.js';
import { visibility } from './12-visibility.js';
import { dashboard } from './13-dashboard.js';
import { cluster } from './15-cluster.js';
import { scale } from './16-scale.js';

export const SCENARIOS: Scenario[] = [
  firePrecision,
  saturation,
  registrySize,
  triggerThroughput,
  poolOverhead,
  overlap,
  concurrency,
  api,
  memoryStartup,
  lifetimePrecision,
  runSweep,
  visibility,
  dashboard,
  cluster,
  scale,
];
