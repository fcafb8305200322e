/**
 * Hot reload of the jobs folder (SPEC §6). chokidar reports; we do not trust the event kind:
 * every event only marks a file dirty, and a single serial queue then looks at what is on disk —
 * the file exists → (re)load it, it is gone → unregister. So bursts merge per file, an add
 * followed by a change is still a load, and a rename-save (temp file renamed over) ends in the
 * final content whatever order the events came in.
 *
 * chokidar stops reporting for good once the folder itself is removed or renamed, even after it
 * is created again; so the watcher notices (chokidar's unlinkDir of the folder, or a periodic
 * stat as a backstop), unregisters the folder's jobs like deleted files, waits for the folder to
 * come back, then watches it again and re-scans it.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { applyJobFile, removeJobFile } from './job-files.js';
import { jobFileFormat } from './job/load-file.js';
import { toIsoLocal } from './records.js';
import type { Supervisor } from './supervisor/index.js';

/** How often the folder is checked while watched (backstop) and while missing (re-creation). */
export interface WatcherOptions {
  /** @default 2000 */
  checkMs?: number;
  /** @default 1000 */
  missingCheckMs?: number;
  /** How often a file whose change could not be saved (full or read-only disk) is applied again. @default 5000 */
  retryMs?: number;
}

/** The jobs folder as /health shows it. */
export interface JobsFolderState {
  dir: string;
  /** False while the folder is missing: changes to job files are not seen. */
  watching: boolean;
  /** Why it is not watched, e.g. "jobs folder /x/jobs was removed". */
  problem?: string;
  /** When it stopped being watched (ISO 8601). */
  since?: string;
}

export interface JobsWatcher {
  /** Resolves when every change seen so far has been applied (tests and benchmarks). */
  idle(): Promise<void>;
  state(): JobsFolderState;
  close(): Promise<void>;
}

/** dev:ino of the folder, or null when it is not there (a folder replaced by another one changes it). */
function folderIdentity(dir: string): string | null {
  try {
    const stats = statSync(dir);
    // The birth time too: a folder removed and made again at once often gets the same inode back.
    return stats.isDirectory() ? `${stats.dev}:${stats.ino}:${stats.birthtimeMs}` : null;
  } catch {
    return null;
  }
}

export async function startWatcher(supervisor: Supervisor, dir: string, options: WatcherOptions = {}): Promise<JobsWatcher> {
  const root = resolve(dir);
  const logger = supervisor.logger;
  const dirty = new Set<string>();
  let draining: Promise<void> | null = null;
  let closed = false;
  let chokidar: FSWatcher | null = null;
  let identity: string | null = null;
  let state: JobsFolderState = { dir: root, watching: false };
  let missing = false;
  let timer: NodeJS.Timeout | null = null;
  let lastError = '';
  /** chokidar can repeat one failure for every event: one log line says it. */
  const logOnce = (message: string, error: string): void => {
    if (`${message}${error}` !== lastError) logger.error(message, { error });
    lastError = `${message}${error}`;
  };

  const drain = async (): Promise<void> => {
    // Sets iterate in insertion order and see items added while iterating.
    for (const file of dirty) {
      dirty.delete(file);
      if (closed) break;
      try {
        if (existsSync(file)) await applyJobFile(supervisor, file);
        else await removeJobFile(supervisor, file);
      } catch (error) {
        logger.error(`job file ${file}: reload failed`, { error: error instanceof Error ? error : String(error) });
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
  const idle = async (): Promise<void> => {
    while (draining) await draining;
  };
  const folderJobs = (): string[] =>
    supervisor
      .fileJobs()
      .map((job) => job.file)
      .filter((file) => dirname(file) === root);
  /** Every file of the folder the server knows about: registered, or refused with a load error. */
  const knownFiles = (): string[] => [
    ...folderJobs(),
    ...supervisor
      .listLoadErrors()
      .map((e) => e.file)
      .filter((file) => dirname(file) === root),
  ];

  const every = (ms: number, check: () => void): void => {
    if (timer) clearInterval(timer);
    if (closed) return;
    timer = setInterval(() => {
      try {
        check();
      } catch (error) {
        logger.error(`checking the jobs folder ${root} failed`, { error: error instanceof Error ? error : String(error) });
      }
    }, ms);
    // Checking the folder must not keep the process alive on its own.
    timer.unref();
  };

  const watchFolder = async (): Promise<void> => {
    const watcher = watch(root, {
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
    watcher.on('unlinkDir', (path) => {
      if (resolve(path) === root) lost('was removed');
    });
    watcher.on('error', (error) => {
      logOnce(`watching the jobs folder ${root} failed`, String(error));
      if (folderIdentity(root) === null) lost('was removed');
    });
    await new Promise<void>((ready) => watcher.once('ready', () => ready()));
    chokidar = watcher;
  };

  /** The folder is gone (or replaced): its jobs go like deleted files; wait for it to come back. */
  const lost = (what: string): void => {
    if (closed || missing) return;
    missing = true;
    state = { dir: root, watching: false, problem: `jobs folder ${root} ${what}`, since: toIsoLocal(Date.now()) };
    const files = folderJobs();
    logger.warn(`jobs folder ${root} ${what}; its ${files.length} job(s) are unregistered until it is back`, {
      hint: `create ${root} again (or restore it): it is picked up within a second or two`,
    });
    // The queue unregisters every file that is not on disk; chokidar's own unlinks may never come.
    for (const file of knownFiles()) schedule(file);
    const old = chokidar;
    chokidar = null;
    old?.close().catch((error: unknown) => logger.debug(`closing the watcher of ${root} failed`, { error: String(error) }));
    every(options.missingCheckMs ?? 1000, () => {
      if (folderIdentity(root) !== null) void back();
    });
  };

  const watchIt = async (): Promise<void> => {
    await watchFolder();
    identity = folderIdentity(root);
    missing = false;
    state = { dir: root, watching: true };
    lastError = '';
    every(options.checkMs ?? 2000, () => {
      const now = folderIdentity(root);
      if (now === null) lost('was removed');
      else if (now !== identity) lost('was replaced by another folder');
    });
  };

  /** The folder exists again: watch it first, then re-scan it through the queue (events during the scan merge). */
  let returning = false;
  const back = async (): Promise<void> => {
    if (returning || closed || !missing) return;
    returning = true;
    try {
      await watchIt();
      if (closed) {
        await chokidar?.close();
        return;
      }
      const names = readdirSync(root, { withFileTypes: true })
        .filter((d) => d.isFile())
        .map((d) => d.name)
        .sort();
      for (const name of names) schedule(join(root, name));
      for (const file of knownFiles()) schedule(file);
      await idle();
      const failed = supervisor.listLoadErrors().filter((e) => dirname(e.file) === root).length;
      logger.info(`jobs folder ${root} is back and watched again: ${folderJobs().length} job file(s) loaded, ${failed} failed`);
    } catch (error) {
      // Removed again, or not readable: the missing-folder check keeps retrying.
      logOnce(`watching the jobs folder ${root} again failed`, error instanceof Error ? error.message : String(error));
      lost('cannot be read');
    } finally {
      returning = false;
    }
  };

  // A change refused for want of disk space is applied again by itself, not only on the file's next edit.
  const retryTimer = setInterval(() => {
    if (closed) return;
    for (const error of supervisor.listLoadErrors()) if (error.transient && dirname(error.file) === root) schedule(error.file);
  }, options.retryMs ?? 5000);
  retryTimer.unref();

  // Several servers: another server registered, changed or removed a job this folder also defines
  // (identically, or in conflict): apply the file again — it may take the job over or now conflict.
  const offRemote = supervisor.onRemoteJobChange((id) => {
    if (closed) return;
    for (const file of supervisor.folderFilesDefining(id)) if (dirname(file) === root) schedule(file);
  });

  if (folderIdentity(root) === null) {
    lost('does not exist');
  } else {
    await watchIt();
    logger.debug(`watching ${root} for job file changes`);
  }

  return {
    idle,
    state: () => ({ ...state }),
    async close() {
      closed = true;
      offRemote();
      clearInterval(retryTimer);
      if (timer) clearInterval(timer);
      timer = null;
      await chokidar?.close();
      await idle();
    },
  };
}
