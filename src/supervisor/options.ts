/** The supervisor's options: documented defaults, filled and checked in one place. */
import { availableParallelism } from 'node:os';
import { MxxError } from '../errors.js';
import { createLogger, type Logger } from '../logger.js';
import type { MxxPaths } from '../paths.js';
import type { PoolOptions } from '../pool.js';

/** @default 64 */
export const DEFAULT_MAX_CONCURRENCY = 64;
/** @default 10 MiB */
export const DEFAULT_LOG_CAP_BYTES = 10 * 1024 * 1024;
/** @default 4096 */
export const DEFAULT_TAIL_BYTES = 4096;
/** Runs one pool thread supervises at least (the pool's own default): 32 or more spawned a quarter faster than 1. */
const MIN_TASKS_PER_WORKER = 32;

export interface SupervisorOptions {
  paths: MxxPaths;
  /** @default createLogger() (info, to stderr) */
  logger?: Logger;
  /** Global limit on concurrent runs; above it runs wait in fire order. A whole number ≥ 1. @default 64 */
  maxConcurrency?: number;
  /**
   * The execution pool. @default threads: the CPU count; concurrentTasksPerWorker: enough that
   * threads × it is never below maxConcurrency (at least 32)
   */
  pool?: PoolOptions;
  /** Per-run log cap in bytes: a whole number ≥ 0, or Infinity for no cap. @default 10 MiB */
  logCapBytes?: number;
  /** Output kept in the run record, in bytes (0 keeps none). @default 4096 */
  tailBytes?: number;
}

export interface ResolvedSupervisorOptions {
  paths: MxxPaths;
  logger: Logger;
  maxConcurrency: number;
  pool: PoolOptions & { threads: number; concurrentTasksPerWorker: number };
  logCapBytes: number;
  tailBytes: number;
}

/** `value` if it is a whole number ≥ `min`; otherwise a clear error naming the option as `name`. */
export function assertWholeNumber(value: number, name: string, min: number, { infinite = false }: { infinite?: boolean } = {}): number {
  if ((infinite && value === Infinity) || (Number.isInteger(value) && value >= min)) return value;
  throw new MxxError('INVALID_REQUEST', `${name} must be a whole number ≥ ${min}${infinite ? ' or Infinity' : ''}, got ${String(value)}`);
}

export function resolveSupervisorOptions(options: SupervisorOptions): ResolvedSupervisorOptions {
  const maxConcurrency = assertWholeNumber(options.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY, 'maxConcurrency', 1);
  const logCapBytes = assertWholeNumber(options.logCapBytes ?? DEFAULT_LOG_CAP_BYTES, 'logCapBytes', 0, { infinite: true });
  const tailBytes = assertWholeNumber(options.tailBytes ?? DEFAULT_TAIL_BYTES, 'tailBytes', 0);
  const threads = options.pool?.threads ?? availableParallelism();
  return {
    paths: options.paths,
    logger: options.logger ?? createLogger(),
    maxConcurrency,
    // The gate decides how many runs go at once; the pool must never be the tighter limit.
    pool: {
      ...options.pool,
      threads,
      concurrentTasksPerWorker: options.pool?.concurrentTasksPerWorker ?? Math.max(MIN_TASKS_PER_WORKER, Math.ceil(maxConcurrency / threads)),
    },
    logCapBytes,
    tailBytes,
  };
}
