/**
 * Hot reload of the jobs folder (SPEC §6). chokidar reports; we do not trust the event kind:
 * every event only marks a file dirty, and a single serial queue then looks at what is on disk —
 * the file exists → (re)load it, it is gone → unregister. So bursts merge per file, an add
 * followed by a change is still a load, and a rename-save (temp file renamed over) ends in the
 * final content whatever order the events came in.
 */
import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { applyJobFile, removeJobFile } from './job-files.js';
import { jobFileFormat } from './job/parse.js';
import type { Supervisor } from './supervisor/index.js';

export interface JobsWatcher {
  /** Resolves when every change seen so far has been applied (tests and benchmarks). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export async function startWatcher(supervisor: Supervisor, dir: string): Promise<JobsWatcher> {
  const root = resolve(dir);
  const dirty = new Set<string>();
  let draining: Promise<void> | null = null;
  let closed = false;

  const drain = async (): Promise<void> => {
    // Sets iterate in insertion order and see items added while iterating.
    for (const file of dirty) {
      dirty.delete(file);
      if (closed) break;
      try {
        if (existsSync(file)) await applyJobFile(supervisor, file);
        else removeJobFile(supervisor, file);
      } catch (error) {
        supervisor.logger.error(`job file ${file}: reload failed`, { error: error instanceof Error ? error : String(error) });
      }
    }
  };
  const schedule = (path: string): void => {
    dirty.add(resolve(path));
    draining ??= drain().finally(() => {
      draining = null;
      if (dirty.size > 0 && !closed) schedule([...dirty][0]!);
    });
  };

  const watcher: FSWatcher = watch(root, {
    ignoreInitial: true,
    depth: 0,
    // Never ignore the folder itself, or nothing is watched; sub-folders are not job files.
    ignored: (path, stats) => {
      if (resolve(path) === root) return false;
      if (stats?.isDirectory()) return true;
      // Dotfiles, templates and other extensions: the same rule as loading uses.
      return jobFileFormat(basename(path)) === null;
    },
    // Without it two quick writes give one event and a read of the first, half-written content.
    awaitWriteFinish: { stabilityThreshold: 50, pollInterval: 10 },
  });
  watcher.on('add', schedule).on('change', schedule).on('unlink', schedule);
  watcher.on('error', (error) => supervisor.logger.error(`watching ${root} failed`, { error: String(error) }));
  await new Promise<void>((ready) => watcher.once('ready', () => ready()));
  supervisor.logger.debug(`watching ${root} for job file changes`);

  return {
    async idle() {
      while (draining) await draining;
    },
    async close() {
      closed = true;
      await watcher.close();
      while (draining) await draining;
    },
  };
}
