/** The supervisor's options: documented defaults, filled and checked in one place. */
import { MxxError } from '../errors.js';
import { createLogger, type Logger } from '../logger.js';
import type { MxxPaths } from '../paths.js';
import type { PoolOptions } from '../pool.js';
import { DEFAULT_EVENT_BUFFER } from '../events/hub.js';
import { DEFAULT_LEASE_MS } from '../cluster/index.js';

/** @default 64 */
export const DEFAULT_MAX_CONCURRENCY = 64;
/** @default 10 MiB */
export const DEFAULT_LOG_CAP_BYTES = 10 * 1024 * 1024;
/** @default 4096 */
export const DEFAULT_TAIL_BYTES = 4096;

export interface SupervisorOptions {
  paths: MxxPaths;
  /** @default createLogger() (info, to stderr) */
  logger?: Logger;
  /** Global limit on concurrent runs; above it runs wait in fire order. A whole number ≥ 1. @default 64 */
  maxConcurrency?: number;
  /**
   * The execution pool (see PoolOptions for its defaults). Its `minCapacity` is raised to
   * maxConcurrency: the gate decides how many runs go at once, the pool must never be tighter.
   * @default {}
   */
  pool?: PoolOptions;
  /** Per-run log cap in bytes: a whole number ≥ 0, or Infinity for no cap. @default 10 MiB */
  logCapBytes?: number;
  /** Output kept in the run record, in bytes (0 keeps none). @default 4096 */
  tailBytes?: number;
  /** Events kept for replay by the event stream (SPEC §10). A whole number ≥ 1. @default 10 000 */
  eventBuffer?: number;
  /** This server's labels: a job with `[placement] labels` runs only where all of them are. @default none */
  labels?: readonly string[];
  /** Several servers on PostgreSQL: this server's URL, for the others and `mxx nodes`. */
  advertisedUrl?: () => string;
  /** Several servers on PostgreSQL: how long a lease lasts without a heartbeat, ms (≥ 300). @default 15000 */
  leaseMs?: number;
}

export interface ResolvedSupervisorOptions {
  paths: MxxPaths;
  logger: Logger;
  maxConcurrency: number;
  /** Resolved by the pool itself (resolvePoolOptions), with minCapacity ≥ maxConcurrency. */
  pool: PoolOptions & { minCapacity: number };
  logCapBytes: number;
  tailBytes: number;
  eventBuffer: number;
  labels: readonly string[];
  advertisedUrl: () => string;
  leaseMs: number;
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
  const eventBuffer = assertWholeNumber(options.eventBuffer ?? DEFAULT_EVENT_BUFFER, 'eventBuffer', 1);
  return {
    paths: options.paths,
    logger: options.logger ?? createLogger(),
    maxConcurrency,
    pool: { ...options.pool, minCapacity: Math.max(options.pool?.minCapacity ?? 0, maxConcurrency) },
    logCapBytes,
    tailBytes,
    eventBuffer,
    labels: [...(options.labels ?? [])],
    advertisedUrl: options.advertisedUrl ?? (() => ''),
    leaseMs: assertWholeNumber(options.leaseMs ?? DEFAULT_LEASE_MS, 'leaseMs', 300),
  };
}
