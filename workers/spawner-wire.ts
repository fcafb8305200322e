/**
 * The line protocol between a worker thread and its spawner process: one JSON object per line
 * over the spawner's stdin (requests) and stdout (replies). Plain pipes measured a little cheaper
 * than `fork()`'s IPC channel (~20 µs vs ~23 µs a round trip), and their end-of-file is the
 * spawner's one signal that the server is gone, however it died.
 */
import type { Writable } from 'node:stream';
import type { RunEvent, RunResult, StopReason } from './protocol.js';
import type { RunSpec } from './spawn-run.js';

/** Thread → spawner. */
export type SpawnerRequest = { type: 'run'; spec: RunSpec } | { type: 'stop'; runId: string; reason: StopReason };

/** Spawner → thread. Every event and result carries its runId. */
export type SpawnerReply = { type: 'event'; event: RunEvent } | { type: 'result'; result: RunResult };

/** Feeds complete lines to `onLine`; a partial line waits for the rest of it. */
export function createLineReader(onLine: (line: string) => void): (chunk: string) => void {
  let pending = '';
  return (chunk) => {
    let end = chunk.indexOf('\n');
    if (end < 0) {
      pending += chunk;
      return;
    }
    onLine(pending + chunk.slice(0, end));
    let start = end + 1;
    for (end = chunk.indexOf('\n', start); end >= 0; end = chunk.indexOf('\n', start)) {
      onLine(chunk.slice(start, end));
      start = end + 1;
    }
    pending = chunk.slice(start);
  };
}

/**
 * Writes messages as lines, gathered into one write per turn of the event loop: a burst of runs
 * (or a run and the stop queued behind it) costs one syscall, not one each.
 */
export function createLineWriter<T>(stream: Writable): (message: T) => void {
  let batch: string[] = [];
  const flush = (): void => {
    const lines = batch.join('');
    batch = [];
    if (!stream.destroyed && stream.writable) stream.write(lines);
  };
  return (message) => {
    if (batch.length === 0) process.nextTick(flush);
    batch.push(`${JSON.stringify(message)}\n`);
  };
}
