/**
 * test/unit/worker-run.test.ts with `startRun` answered by the compiled helper's client
 * (workers/native-spawner.ts): exit code and signal, argv vs shell, cwd and env, spawn errors,
 * lifetime and grace, stop, the start instant, the log cap and tail, output events, kill names,
 * the sweep of daemons, logs that cannot be written. The suites that drive the piscina task
 * (`run`, default export) still fork from the test's thread.
 */
import { vi } from 'vitest';

vi.mock('../../workers/run.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../workers/run.js')>();
  const { nativeHelper } = await import('./_native.js');
  const { startRunInNativeSpawner } = await import('../../workers/native-spawner.js');
  return { ...original, startRun: (spec: Parameters<typeof original.startRun>[0], emit: Parameters<typeof original.startRun>[1]) => startRunInNativeSpawner(nativeHelper, spec, emit) };
});

await import('../unit/worker-run.test.js');
