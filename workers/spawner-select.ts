/**
 * Which spawner forks the runs when the pool uses spawner processes: the compiled helper
 * (`dist/native/mxx-spawn`, built by `npm run build` where a C compiler exists) or the Node spawner
 * (`workers/spawner.ts`). The one place that decides; the pool, /health and `mxx config` ask here.
 *
 * MXX_SPAWNER=node|native forces one; unset, the helper is used when it exists and is executable.
 */
import { accessSync, constants } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunWorkerData } from './protocol.js';

export type SpawnerKind = 'native' | 'node';

export const SPAWNER_VARIABLE = 'MXX_SPAWNER';
/** Tests only: look for the helper here instead of dist/native/mxx-spawn. */
export const NATIVE_PATH_VARIABLE = 'MXX_TEST_NATIVE_SPAWNER';

export interface SpawnerChoice {
  kind: SpawnerKind;
  /** The helper's path (the one looked at, also when the Node spawner was chosen). */
  nativePath: string;
  /** Why: "MXX_SPAWNER=node", "dist/native/mxx-spawn is executable", "... not found". */
  reason: string;
}

/** What the pool hands its threads when they fork from spawners: the helper's path if native. */
export interface SpawnerWorkerData extends RunWorkerData {
  nativeSpawner?: string;
}

/** A bad MXX_SPAWNER, or `native` asked for where there is no helper. Stable codes. */
export class SpawnerSelectError extends Error {
  constructor(
    readonly code: 'SPAWNER_UNKNOWN' | 'NATIVE_SPAWNER_MISSING',
    message: string,
  ) {
    super(message);
    this.name = 'SpawnerSelectError';
  }
}

/** dist/native/mxx-spawn, from this module in dist/workers/ or (tests, tsx) in workers/. */
export function defaultNativePath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const parent = dirname(here);
  return join(basename(parent) === 'dist' ? parent : join(parent, 'dist'), 'native', 'mxx-spawn');
}

export function selectSpawner(env: NodeJS.ProcessEnv = process.env): SpawnerChoice {
  const nativePath = env[NATIVE_PATH_VARIABLE] || defaultNativePath();
  const forced = env[SPAWNER_VARIABLE];
  if (forced !== undefined && forced !== '' && forced !== 'node' && forced !== 'native') {
    throw new SpawnerSelectError('SPAWNER_UNKNOWN', `${SPAWNER_VARIABLE} must be 'node' or 'native', got ${JSON.stringify(forced)}`);
  }
  if (forced === 'node') return { kind: 'node', nativePath, reason: `${SPAWNER_VARIABLE}=node` };
  const problem = executableProblem(nativePath);
  if (problem === null) return { kind: 'native', nativePath, reason: forced === 'native' ? `${SPAWNER_VARIABLE}=native` : `${nativePath} is executable` };
  if (forced === 'native') {
    throw new SpawnerSelectError(
      'NATIVE_SPAWNER_MISSING',
      `${SPAWNER_VARIABLE}=native, but the spawn helper ${nativePath} ${problem}; build it with \`npm run build\` (needs a C compiler) or unset ${SPAWNER_VARIABLE}`,
    );
  }
  return { kind: 'node', nativePath, reason: `${nativePath} ${problem}` };
}

function executableProblem(path: string): string | null {
  try {
    accessSync(path, constants.X_OK);
    return null;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `is not executable (${(error as NodeJS.ErrnoException).code})`;
  }
}

let inUse: SpawnerKind | 'thread' | null = null;

/** The pool says what its threads fork with, once it is made. */
export function recordSpawnerInUse(kind: SpawnerKind | 'thread'): void {
  inUse = kind;
}

/** What the last pool made here forks with; before any pool, what one would choose now. */
export function spawnerInUse(env: NodeJS.ProcessEnv = process.env): SpawnerKind | 'thread' {
  if (inUse !== null) return inUse;
  try {
    return selectSpawner(env).kind;
  } catch {
    return 'node';
  }
}
