/**
 * A run's log file as a response body, read 64 KiB at a time as the client takes it: a 10 MB log
 * sent to 60 clients at once must not sit in memory 60 times.
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { Logger } from '../logger.js';

/** @default 64 KiB */
export const LOG_CHUNK_BYTES = 64 * 1024;

/** The open log file, or null when there is none (never written, or removed). */
export async function openLogFile(path: string): Promise<FileHandle | null> {
  try {
    return await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** Reads one chunk at `position`; an empty array at the end of the file. */
export async function readChunk(file: FileHandle, position: number): Promise<Uint8Array> {
  const buffer = Buffer.allocUnsafe(LOG_CHUNK_BYTES);
  const { bytesRead } = await file.read(buffer, 0, LOG_CHUNK_BYTES, position);
  return buffer.subarray(0, bytesRead);
}

/**
 * The file from its start to its end. The handle is closed at the end, on a read error (logged
 * once; the client sees the body cut short), or when the client goes away.
 */
export function logFileStream(file: FileHandle, path: string, logger: Logger): ReadableStream<Uint8Array> {
  let position = 0;
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    file.close().catch(() => undefined);
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const chunk = await readChunk(file, position);
        if (closed) return;
        if (chunk.byteLength === 0) {
          close();
          controller.close();
          return;
        }
        position += chunk.byteLength;
        controller.enqueue(chunk);
      } catch (error) {
        if (closed) return; // the client left while a read was in flight
        close();
        logger.warn(`reading the log file ${path} failed; the answer was cut short`, { error });
        controller.error(error);
      }
    },
    cancel: close,
  });
}
