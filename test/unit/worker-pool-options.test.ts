/** The execution pool's options: one place fills the defaults and rejects what cannot work. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os, { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createPool, DEFAULT_IDLE_MS, DEFAULT_TASKS_PER_WORKER, defaultThreads, MAX_DEFAULT_THREADS, resolvePoolOptions, type PoolOptions } from '../../src/pool.js';
import { expectMxxError } from '../_server.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

afterEach(() => {
  vi.restoreAllMocks();
});

describe('resolvePoolOptions', () => {
  it('fills the documented defaults', () => {
    const resolved = resolvePoolOptions();
    expect(resolved).toMatchObject({
      threads: Math.min(availableParallelism(), 4),
      idleMs: 60_000,
      concurrentTasksPerWorker: DEFAULT_TASKS_PER_WORKER,
      minCapacity: 0,
      spawner: 'spawner',
      workerFile: `${root}dist/workers/run-entry.cjs`,
    });
    expect(DEFAULT_TASKS_PER_WORKER).toBe(32);
    expect([DEFAULT_IDLE_MS, MAX_DEFAULT_THREADS]).toEqual([60_000, 4]);
    expect(existsSync(resolved.workerFile)).toBe(true); // the compiled worker (vitest's globalSetup builds dist/)
    expect(() => resolved.onError(new Error('ignored'))).not.toThrow();
  });

  it('the default task file is CommonJS: piscina require()s it without loading an ES module in place (require(esm) once aborted a CI run)', () => {
    const { workerFile } = resolvePoolOptions();
    // With require(esm) refused, requiring an ES module throws ERR_REQUIRE_ESM; the trampoline loads.
    const probe = spawnSync(process.execPath, ['--no-experimental-require-module', '-e', `process.exit(typeof require(${JSON.stringify(workerFile)}) === 'function' ? 0 : 2)`], { encoding: 'utf8' });
    expect(probe.status, probe.stderr).toBe(0);
  });

  it('by default at most 4 threads: a 16-core machine does not get 16 threads and 16 spawners', () => {
    vi.spyOn(os, 'availableParallelism').mockReturnValue(16);
    expect(defaultThreads()).toBe(4);
    expect(resolvePoolOptions().threads).toBe(4);
    // The runs per thread grow instead, so the pool still holds the caller's limit.
    expect(resolvePoolOptions({ minCapacity: 256 }).concurrentTasksPerWorker).toBe(64);
    vi.spyOn(os, 'availableParallelism').mockReturnValue(1);
    expect(resolvePoolOptions().threads).toBe(1);
    expect(resolvePoolOptions({ threads: 16 }).threads).toBe(16);
  });

  it('raises the runs per thread to reach minCapacity, never below the default; an explicit value wins', () => {
    expect(resolvePoolOptions({ threads: 2, minCapacity: 201 }).concurrentTasksPerWorker).toBe(101);
    expect(resolvePoolOptions({ threads: 2, minCapacity: 10 }).concurrentTasksPerWorker).toBe(32);
    expect(resolvePoolOptions({ threads: 2, minCapacity: 201, concurrentTasksPerWorker: 4 }).concurrentTasksPerWorker).toBe(4);
  });

  it('keeps what it is given', () => {
    const onError = (): void => {};
    expect(resolvePoolOptions({ threads: 3, idleMs: 250, concurrentTasksPerWorker: 1, spawner: 'thread', workerFile: '/x/run.js', onError })).toEqual({
      threads: 3,
      idleMs: 250,
      concurrentTasksPerWorker: 1,
      minCapacity: 0,
      spawner: 'thread',
      workerFile: '/x/run.js',
      onError,
    });
  });

  const bad: Array<[PoolOptions, string]> = [
    [{ threads: 0 }, 'threads must be a whole number ≥ 1, got 0'],
    [{ threads: 1.5 }, 'threads must be a whole number ≥ 1, got 1.5'],
    [{ threads: Number.NaN }, 'threads must be a whole number ≥ 1, got NaN'],
    [{ threads: '2' as unknown as number }, 'threads must be a whole number ≥ 1, got "2"'],
    [{ idleMs: -1 }, 'idleMs must be a whole number ≥ 0, got -1'],
    [{ idleMs: 0.5 }, 'idleMs must be a whole number ≥ 0, got 0.5'],
    [{ concurrentTasksPerWorker: 0 }, 'concurrentTasksPerWorker must be a whole number ≥ 1, got 0'],
    [{ minCapacity: -1 }, 'minCapacity must be a whole number ≥ 0, got -1'],
    [{ spawner: 'fork' as PoolOptions['spawner'] }, `spawner must be 'thread' or 'spawner', got "fork"`],
    [{ workerFile: '' }, 'workerFile must be a path, got ""'],
    [{ onError: 'log' as unknown as PoolOptions['onError'] }, 'onError must be a function, got "log"'],
  ];
  it.each(bad)('rejects %o', (options, message) => {
    expect(expectMxxError(() => resolvePoolOptions(options), 'INVALID_REQUEST').message).toBe(`execution pool: ${message}`);
  });

  it('createPool rejects bad options before it starts a thread', () => {
    expectMxxError(() => createPool({ threads: 0 }), 'INVALID_REQUEST');
  });
});
