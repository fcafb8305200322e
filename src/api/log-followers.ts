/**
 * `GET /runs/{id}/log?follow=true`: clients that read a run's log while it runs. Bounded, and woken
 * by one listener per supervisor event that dispatches by run id: two listeners per follower cost
 * every output event a call per follower of any run, and warned of a leak past ten.
 */
import type { FileHandle } from 'node:fs/promises';
import { MxxError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Supervisor } from '../supervisor/index.js';
import { openLogFile, readChunk } from './log-file.js';

/** @default 64 */
export const DEFAULT_MAX_LOG_FOLLOWERS = 64;

/** A backstop for a write that lands after its wake-up. */
const POLL_MS = 500;

export interface LogFollowers {
  /** The run's log from its start, live until the run has ended; throws TOO_MANY_SUBSCRIBERS at the bound. */
  follow(runId: string, path: string): ReadableStream<Uint8Array>;
}

interface Follower {
  /** A wake-up that came while the follower was reading: it must not be lost. */
  nudged: boolean;
  wake: (() => void) | null;
}

export function createLogFollowers(supervisor: Supervisor, limit: number, logger: Logger): LogFollowers {
  if (!Number.isInteger(limit) || limit < 1) {
    throw new TypeError(`options.maxLogFollowers must be a positive integer, got ${String(limit)}`);
  }
  const byRun = new Map<string, Set<Follower>>();
  let count = 0;
  const nudge = (runId: string): void => {
    for (const follower of byRun.get(runId) ?? []) {
      follower.nudged = true;
      follower.wake?.();
    }
  };
  supervisor.on('run-output', (run) => nudge(run.runId));
  supervisor.on('run-end', (record) => nudge(record.run_id));

  /** The run wrote no output at all: no tail kept, nothing cut at the cap. */
  const endedQuietly = (runId: string): boolean => {
    try {
      const record = supervisor.run(runId);
      return !record.output_tail && record.log_truncated !== true;
    } catch {
      return false; // its record is gone (the job's runs were cleared): the file decides
    }
  };

  function follow(runId: string, path: string): ReadableStream<Uint8Array> {
    if (count >= limit) {
      throw new MxxError('TOO_MANY_SUBSCRIBERS', `${limit} clients already follow run logs, the most this server allows`, {
        hint: 'retry in a moment, or read the log so far without follow (mxx logs without --follow)',
      });
    }
    count++;
    const follower: Follower = { nudged: false, wake: null };
    let followers = byRun.get(runId);
    if (!followers) byRun.set(runId, (followers = new Set()));
    followers.add(follower);
    let file: FileHandle | null = null;
    let position = 0;
    let closed = false;
    const close = (): void => {
      if (closed) return;
      closed = true;
      count--;
      followers.delete(follower);
      if (followers.size === 0 && byRun.get(runId) === followers) byRun.delete(runId);
      follower.wake?.();
      file?.close().catch(() => undefined);
    };
    const waitForNudge = (): Promise<void> =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(done, POLL_MS);
        function done(): void {
          clearTimeout(timer);
          follower.wake = null;
          resolve();
        }
        follower.wake = done;
      });
    return new ReadableStream<Uint8Array>({
      start(controller) {
        // An empty chunk sends the headers now: a quiet run's follower learns at once it is in.
        controller.enqueue(new Uint8Array(0));
      },
      async pull(controller) {
        try {
          while (!closed) {
            follower.nudged = false;
            // Asked before reading: what the run wrote before it ended is then read below.
            const ended = !supervisor.isRunActive(runId);
            // No file work while there is nothing new: the worker announces each growth of the log
            // (after the write) with a wake-up, and a quiet run that ended has nothing to read.
            // Most runs print little or nothing, and an open, reads and a close per follower were
            // the largest part of following on the server's thread.
            if (!ended && (supervisor.runOutputBytes(runId) ?? Infinity) <= position) {
              if (!follower.nudged) await waitForNudge();
              continue;
            }
            if (ended && file === null && position === 0 && endedQuietly(runId)) {
              close();
              controller.close();
              return;
            }
            file ??= await openLogFile(path);
            const chunk = file ? await readChunk(file, position) : new Uint8Array(0);
            if (closed) return;
            if (chunk.byteLength > 0) {
              position += chunk.byteLength;
              controller.enqueue(chunk);
              return;
            }
            if (ended) {
              const tail = file ? undefined : supervisor.run(runId).output_tail;
              // No log file was ever written (a full disk, a removed folder): the record's tail is
              // all there is. The headers already went out, so the note says it in the text.
              if (tail) controller.enqueue(Buffer.from(`[mxx] run ${runId} wrote no log file; this is the output kept in its record\n${tail}`));
              close();
              controller.close();
              return;
            }
            if (!follower.nudged) await waitForNudge();
          }
        } catch (error) {
          if (closed) return;
          close();
          logger.warn(`following the log file ${path} failed; the stream was cut short`, { error });
          controller.error(error);
        }
      },
      cancel: close,
    });
  }

  return { follow };
}
