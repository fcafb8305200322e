import { availableParallelism } from 'node:os';
import { resolvePoolOptions } from '../../src/pool.js';
import { describe, expect, it } from 'vitest';
import { resolvePaths } from '../../src/paths.js';
import { silentLogger } from '../../src/logger.js';
import { createSupervisor } from '../../src/supervisor/index.js';
import {
  DEFAULT_LOG_CAP_BYTES,
  DEFAULT_MAX_CONCURRENCY,
  DEFAULT_TAIL_BYTES,
  resolveSupervisorOptions,
  type SupervisorOptions,
} from '../../src/supervisor/options.js';

const paths = resolvePaths({ home: '/nonexistent-mxx-home' });
const resolve = (options: Partial<SupervisorOptions> = {}) => resolveSupervisorOptions({ paths, logger: silentLogger, ...options });

describe('resolveSupervisorOptions', () => {
  it('fills the documented defaults', () => {
    expect(resolve()).toEqual({
      paths,
      logger: silentLogger,
      maxConcurrency: DEFAULT_MAX_CONCURRENCY,
      pool: { minCapacity: DEFAULT_MAX_CONCURRENCY },
      logCapBytes: DEFAULT_LOG_CAP_BYTES,
      tailBytes: DEFAULT_TAIL_BYTES,
      eventBuffer: 10_000,
      labels: [],
      leaseMs: 15_000,
      advertisedUrl: expect.any(Function),
    });
    expect(resolve().advertisedUrl()).toBe('');
    expect([DEFAULT_MAX_CONCURRENCY, DEFAULT_LOG_CAP_BYTES, DEFAULT_TAIL_BYTES]).toEqual([64, 10 * 1024 * 1024, 4096]);
  });

  it('sizes the pool so that it is never a tighter limit than maxConcurrency', () => {
    const tasks = (options: Partial<SupervisorOptions>) => resolvePoolOptions(resolve(options).pool).concurrentTasksPerWorker;
    expect(tasks({ maxConcurrency: 1000, pool: { threads: 2 } })).toBe(500);
    expect(tasks({ maxConcurrency: 10, pool: { threads: 2 } })).toBe(32);
    expect(tasks({})).toBe(Math.max(32, Math.ceil(DEFAULT_MAX_CONCURRENCY / Math.min(availableParallelism(), 4))));
  });

  it('keeps pool options given explicitly', () => {
    expect(resolve({ maxConcurrency: 1000, pool: { threads: 1, concurrentTasksPerWorker: 4 } }).pool).toEqual({ threads: 1, concurrentTasksPerWorker: 4, minCapacity: 1000 });
  });

  it('accepts the edges of each range', () => {
    expect(resolve({ maxConcurrency: 1, logCapBytes: 0, tailBytes: 0 })).toMatchObject({ maxConcurrency: 1, logCapBytes: 0, tailBytes: 0 });
    expect(resolve({ logCapBytes: Infinity }).logCapBytes).toBe(Infinity);
  });

  it.each([
    [{ maxConcurrency: 0 }, 'maxConcurrency must be a whole number ≥ 1, got 0'],
    [{ maxConcurrency: 2.5 }, 'maxConcurrency must be a whole number ≥ 1, got 2.5'],
    [{ maxConcurrency: Number.NaN }, 'maxConcurrency must be a whole number ≥ 1, got NaN'],
    [{ maxConcurrency: Infinity }, 'maxConcurrency must be a whole number ≥ 1, got Infinity'],
    [{ logCapBytes: -1 }, 'logCapBytes must be a whole number ≥ 0 or Infinity, got -1'],
    [{ logCapBytes: 0.5 }, 'logCapBytes must be a whole number ≥ 0 or Infinity, got 0.5'],
    [{ tailBytes: -1 }, 'tailBytes must be a whole number ≥ 0, got -1'],
    [{ tailBytes: Infinity }, 'tailBytes must be a whole number ≥ 0, got Infinity'],
  ])('refuses %o with a clear error', (options, message) => {
    expect(() => resolve(options)).toThrowError(expect.objectContaining({ code: 'INVALID_REQUEST', message }));
  });

  it('createSupervisor refuses maxConcurrency 0 before it starts a pool (it would queue every run forever)', () => {
    expect(() => createSupervisor({ paths, logger: silentLogger, maxConcurrency: 0 })).toThrowError('maxConcurrency must be a whole number ≥ 1, got 0');
  });
});
