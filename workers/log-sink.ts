/**
 * Where a run's output goes: its log file, capped in size, and an in-memory tail for the run
 * record. Chunks are written in arrival order; the file stream's backpressure is passed on so a
 * chatty command waits for a slow disk instead of filling the worker's memory. A disk that fails
 * (ENOSPC, EROFS, EIO, a file that cannot be opened) never blocks the command: the file is given
 * up, a note says so, and the output keeps flowing into the tail.
 */
import { createWriteStream } from 'node:fs';
import { appendFile } from 'node:fs/promises';

export interface LogSummary {
  /** The last `tailBytes` of the output (including what was dropped past the cap), as UTF-8. */
  tail: string;
  /** Bytes the process wrote, dropped ones included. */
  outputBytes: number;
  truncated: boolean;
  /** Why the log file could not be written, if it could not ("ENOSPC: no space left on device, write"). */
  error: string | null;
}

export interface LogSink {
  /** Takes a chunk; false when the file is behind and the producer should pause until `onDrain`. */
  write(chunk: Buffer): boolean;
  /** Called once the file caught up, or once it failed (the producer must not stay paused). */
  onDrain(listener: () => void): void;
  /** Bytes in the log file so far (the log's size once flushed). */
  readonly logBytes: number;
  /** Writes the truncation note if needed, flushes and closes the file. Never rejects. */
  close(): Promise<LogSummary>;
}

/** Past this many retained chunks the tail is compacted into one buffer. */
const TAIL_COMPACT_AT = 64;
/** Logs may hold secrets: only the server's user reads them. */
export const LOG_FILE_MODE = 0o600;

export function createLogSink(path: string, capBytes: number, tailBytes: number): LogSink {
  const stream = createWriteStream(path, { flags: 'a', mode: LOG_FILE_MODE });
  let error: string | null = null;
  /** The failure note still has to reach the file (the disk may have room again at close). */
  let noteOwed = false;
  const drainListeners = new Set<() => void>();
  const cap = Number.isFinite(capBytes) ? Math.max(0, Math.floor(capBytes)) : Number.POSITIVE_INFINITY;
  let logBytes = 0;
  let outputBytes = 0;
  let lastByte = 0x0a;
  let tail: Buffer[] = [];
  let tailLength = 0;
  let noteWriting: Promise<void> = Promise.resolve();

  stream.on('drain', () => releaseDrain());
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (error !== null) return;
    error = err.message;
    // What the stream had not flushed is lost; the log is as long as what reached the file.
    logBytes = stream.bytesWritten;
    noteOwed = true;
    noteWriting = writeFailureNote();
    // No 'drain' will ever come from a failed stream: a paused producer must go on now.
    releaseDrain();
  });

  function releaseDrain(): void {
    const listeners = [...drainListeners];
    drainListeners.clear();
    for (const listener of listeners) listener();
  }

  async function writeFailureNote(): Promise<void> {
    const note = `${logBytes > 0 && lastByte !== 0x0a ? '\n' : ''}[mxx: log write failed: ${error}; output after this point is only in the run record's tail]\n`;
    try {
      await appendFile(path, note, { mode: LOG_FILE_MODE });
      noteOwed = false;
      logBytes += Buffer.byteLength(note);
    } catch {
      // Still no room (or no file): tried again at close, when space may have been freed.
    }
  }

  function keepTail(chunk: Buffer): void {
    if (tailBytes <= 0) return;
    tail.push(chunk);
    tailLength += chunk.length;
    while (tail.length > 1 && tailLength - tail[0]!.length >= tailBytes) tailLength -= tail.shift()!.length;
    if (tail.length > TAIL_COMPACT_AT) {
      const joined = Buffer.concat(tail);
      tail = [Buffer.from(joined.subarray(Math.max(0, joined.length - tailBytes)))];
      tailLength = tail[0]!.length;
    }
  }

  return {
    write(chunk) {
      outputBytes += chunk.length;
      keepTail(chunk);
      const room = cap - logBytes;
      if (room <= 0 || error !== null) return true;
      const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
      logBytes += part.length;
      lastByte = part[part.length - 1] ?? lastByte;
      return stream.write(part);
    },
    onDrain(listener) {
      if (error !== null) listener();
      else drainListeners.add(listener);
    },
    get logBytes() {
      return logBytes;
    },
    async close() {
      const truncated = outputBytes > logBytes;
      if (truncated && error === null) {
        const note = `${lastByte === 0x0a ? '' : '\n'}[mxx] output truncated after ${logBytes} bytes\n`;
        logBytes += Buffer.byteLength(note);
        stream.write(note);
      }
      await new Promise<void>((resolve) => {
        if (stream.closed) return resolve();
        stream.once('close', resolve);
        stream.end();
      });
      await noteWriting;
      if (noteOwed) await writeFailureNote();
      return { tail: decodeTail(tail, tailBytes), outputBytes, truncated: truncated || error !== null, error };
    },
  };
}

/** The last `max` bytes as text; a multi-byte character cut at the start is dropped, not mangled. */
function decodeTail(chunks: Buffer[], max: number): string {
  if (max <= 0 || chunks.length === 0) return '';
  const joined = Buffer.concat(chunks);
  if (joined.length <= max) return joined.toString('utf8');
  let start = joined.length - max;
  for (let skipped = 0; skipped < 3 && start < joined.length && (joined[start]! & 0xc0) === 0x80; skipped++) start++;
  return joined.subarray(start).toString('utf8');
}
