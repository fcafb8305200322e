/**
 * One job's history file: appends, compactions and removal, strictly one at a time so lines never
 * interleave or reorder. Appends made in the same tick share one write; a file that has grown past its
 * limit is rewritten atomically from the in-memory snapshot instead of being appended to.
 */
import { appendFile, mkdir, open, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../atomic-file.js';
import { MxxError } from '../errors.js';

/** Open history files across all jobs (each busy job keeps one); past it, batches open their own. */
const MAX_OPEN_HANDLES = 256;
/** A job that wrote nothing for this long closes its file. */
const HANDLE_IDLE_MS = 5_000;
const openHandles = { count: 0 };

/** Shared by a history's files: one log line per failure episode, not one per file or record. */
export interface WriteHealth {
  failed(file: string, error: unknown): void;
  succeeded(file: string): void;
}

export interface HistoryFileOptions {
  file: string;
  health: WriteHealth;
  /** After a failed write, the file is rewritten from memory this much later, until it works. */
  retryMs: number;
  /** Lines already in the file (counted at load). @default 0 */
  lines?: number;
  /**
   * False when the file holds an unreadable line (a torn end after a crash or a full disk): its
   * first write is then a rewrite from memory, so the bad line is not left behind in the middle of
   * the file for every later reader to skip. @default true
   */
  endsClean?: boolean;
  /** The job's kept runs, oldest first, one line each: the content of a compacted file. */
  snapshot(): string[];
  /** Compact instead of appending once the file would hold more lines than this. */
  compactAbove(): number;
}

export interface HistoryFile {
  append(line: string): void;
  /** Drops lines not yet written and removes the file, after any write in flight. */
  clear(): Promise<void>;
  /** Resolves when every line appended so far is written, and closes the file; rejects if writing failed (a later flush retries). */
  flush(): Promise<void>;
  /** Resolves when every line appended so far is written (to the OS, not fsynced); keeps the file open. */
  written(): Promise<void>;
}

interface Waiter {
  target: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export function createHistoryFile(options: HistoryFileOptions): HistoryFile {
  const { file, health } = options;
  let pending: string[] = [];
  let onDisk = options.lines ?? 0;
  // Lines are numbered as they are appended; `done` is the number known to be on disk (or obsolete).
  let enqueued = 0;
  let done = 0;
  // After a failed write the file no longer matches memory: the next write is a full rewrite.
  let dirty = options.endsClean === false;
  let clearAt: number | undefined;
  let clearWaiters: Waiter[] = [];
  let waiters: Waiter[] = [];
  let running = false;
  let dirReady = false;
  let retryTimer: NodeJS.Timeout | null = null;

  /**
   * One write() per batch, not fsynced: a crash of the server keeps every whole line (the kernel
   * has them; a torn last line is skipped on load), and an fsync per batch cost up to three disk
   * flushes per run. A power loss may lose the newest lines. Compactions are fsynced and renamed.
   */
  let handle: FileHandle | null = null;
  let idleTimer: NodeJS.Timeout | null = null;

  async function appendText(text: string): Promise<void> {
    if (!dirReady) await mkdir(dirname(file), { recursive: true });
    dirReady = true;
    if (idleTimer) clearTimeout(idleTimer);
    // A busy job keeps its file open (an open and a close per batch cost more than the write);
    // an idle one lets it go, and past the cap a batch opens and closes the file itself.
    if (handle === null && openHandles.count < MAX_OPEN_HANDLES) {
      handle = await open(file, 'a', 0o600);
      openHandles.count++;
    }
    if (handle === null) {
      await appendFile(file, text, { mode: 0o600 });
      return;
    }
    // writeFile, not write: write() may write part of the text on a full disk and report no error,
    // and the next batch would then land behind a torn line.
    await handle.writeFile(text);
    idleTimer = setTimeout(() => void closeHandle(), HANDLE_IDLE_MS);
    idleTimer.unref();
  }

  /** Before a rewrite or removal: a handle would keep writing to the replaced file. */
  async function closeHandle(): Promise<void> {
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = null;
    const open_ = handle;
    if (open_ === null) return;
    handle = null;
    openHandles.count--;
    await open_.close().catch(() => undefined);
  }

  async function step(): Promise<void> {
    if (clearAt !== undefined) {
      const target = clearAt;
      await closeHandle();
      await rm(file, { force: true });
      const satisfied = clearWaiters;
      clearAt = undefined;
      clearWaiters = [];
      onDisk = 0;
      dirty = false;
      done = Math.max(done, target);
      for (const waiter of satisfied) waiter.resolve();
      return;
    }
    const target = enqueued;
    if (dirty || onDisk + pending.length > options.compactAbove()) {
      pending = [];
      const lines = options.snapshot();
      await closeHandle();
      if (lines.length === 0) await rm(file, { force: true });
      else await writeFileAtomic(file, lines.join(''));
      onDisk = lines.length;
      dirty = false;
    } else if (pending.length > 0) {
      const batch = pending;
      pending = [];
      await appendText(batch.join(''));
      onDisk += batch.length;
    }
    done = target;
  }

  function fail(error: unknown): void {
    running = false;
    void closeHandle();
    // The file no longer matches memory (a half-written batch, a missed removal): rewrite it whole
    // from the kept runs, which are bounded, rather than keep the lost lines.
    dirty = true;
    pending = [];
    clearAt = undefined;
    health.failed(file, error);
    const wrapped = new MxxError('INTERNAL', `could not write the run history ${file}`, { cause: error });
    for (const waiter of [...waiters, ...clearWaiters]) waiter.reject(wrapped);
    waiters = [];
    clearWaiters = [];
    // Retry without waiting for the job's next run: it may never come, and space may return.
    retryTimer ??= setTimeout(() => {
      retryTimer = null;
      start();
    }, options.retryMs);
    retryTimer.unref();
  }

  async function loop(): Promise<void> {
    // Let the rest of this tick's records arrive so they share one write.
    await new Promise<void>((resolve) => setImmediate(resolve));
    for (;;) {
      try {
        await step();
      } catch (error) {
        fail(error);
        return;
      }
      health.succeeded(file);
      waiters = waiters.filter((waiter) => (waiter.target <= done ? (waiter.resolve(), false) : true));
      // Decided synchronously with `running = false`, so an append made after this starts a new loop.
      if (clearAt === undefined && pending.length === 0 && !dirty) {
        running = false;
        return;
      }
    }
  }

  function start(): void {
    if (running) return;
    running = true;
    void loop();
  }

  function written(): Promise<void> {
    if (done >= enqueued && !dirty && clearAt === undefined) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      waiters.push({ target: enqueued, resolve, reject });
      start();
    });
  }

  return {
    append(line) {
      pending.push(line);
      enqueued++;
      start();
    },
    clear() {
      pending = [];
      clearAt = enqueued;
      return new Promise<void>((resolve, reject) => {
        clearWaiters.push({ target: enqueued, resolve, reject });
        start();
      });
    },
    flush() {
      // Flushed also means let go of the file (at shutdown, no handle is left to the GC); the next
      // append opens it again.
      return written().then(() => closeHandle());
    },
    written,
  };
}
