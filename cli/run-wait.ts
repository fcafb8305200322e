/**
 * Waiting from the CLI for a run to end (`trigger --wait`, `logs --follow`): optionally streaming its
 * log, then reading its record. Only a final record ends the wait: a stream that drops is resumed
 * (what was printed is not printed again) and the record read again, so a lost connection never
 * passes for a completed run; a server that cannot be reached any more is SERVER_UNREACHABLE (exit 3).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { MxxError } from '../src/errors.js';
import type { RunRecord } from '../src/records.js';
import { seg, type Client } from './client.js';
import { isFinalStatus } from './format/run-end.js';

/** The API's answer header saying where a log came from: `file`, or `tail` (the run record's output tail). */
const LOG_SOURCE_HEADER = 'x-mxx-log-source';
/** Between reads of a record that is not final yet: short at first (most runs are short), then this. */
const FIRST_PAUSE_MS = 100;
const MAX_PAUSE_MS = 1000;

/** Exit code after Ctrl-C while waiting (128 + SIGINT, as a shell reports it). */
export const EXIT_INTERRUPTED = 130;

/** The user pressed Ctrl-C: the wait stopped, the run goes on. */
export class WaitInterrupted extends Error {
  constructor() {
    super('interrupted');
  }
}

export interface WaitOptions {
  /** Prints the run's output: called with each new part of its log, from its start. */
  onOutput?: (chunk: Uint8Array) => void;
  /** The run has no log to print (it never started, or its log and tail are gone): the server's words. */
  onNoLog?: (message: string) => void;
  /** Aborting it stops the wait with WaitInterrupted. */
  signal?: AbortSignal;
}

export interface RunEnd {
  record: RunRecord;
  /** The log printed was the output tail kept in the record (its log file is gone). */
  fromTail: boolean;
  /** Bytes of log printed. */
  bytes: number;
}

export async function waitForRunEnd(client: Client, runId: string, options: WaitOptions = {}): Promise<RunEnd> {
  const { onOutput, signal } = options;
  let printed = 0;
  let fromTail = false;

  const interrupted = (): boolean => signal?.aborted === true;

  /** One follow stream of the log; true when it ran to its end (the run had ended, or it has no log). */
  async function streamLog(print: (chunk: Uint8Array) => void): Promise<boolean> {
    let offset = 0;
    let headers: IncomingHttpHeaders;
    try {
      headers = await client.stream(`/runs/${seg(runId)}/log`, { follow: true }, (chunk) => {
        // A resumed stream starts again at the log's first byte: skip what is already printed.
        const skip = Math.min(chunk.byteLength, Math.max(0, printed - offset));
        offset += chunk.byteLength;
        if (skip < chunk.byteLength) {
          print(chunk.subarray(skip));
          printed += chunk.byteLength - skip;
        }
      }, signal ? { signal } : {});
    } catch (error) {
      if (interrupted()) throw new WaitInterrupted();
      if (error instanceof MxxError && error.code === 'SERVER_UNREACHABLE') throw error;
      if (error instanceof MxxError && error.code === 'LOG_NOT_FOUND') {
        options.onNoLog?.(error.message);
        return true;
      }
      // The connection dropped mid-stream, or the server could not stream now (too many followers):
      // the record says whether the run is still going.
      return false;
    }
    // An aborted stream resolves as if it had ended.
    if (interrupted()) throw new WaitInterrupted();
    fromTail ||= headers[LOG_SOURCE_HEADER] === 'tail';
    return true;
  }

  async function readRecord(): Promise<RunRecord> {
    try {
      return (await client.get<RunRecord>(`/runs/${seg(runId)}`)).body;
    } catch (error) {
      if (interrupted()) throw new WaitInterrupted();
      throw error;
    }
  }

  let pause = FIRST_PAUSE_MS;
  for (;;) {
    const streamed = onOutput ? await streamLog(onOutput) : false;
    const record = await readRecord();
    if (isFinalStatus(record.status)) {
      // A stream cut short missed the end of the log: now that the run has ended, it is all there.
      if (onOutput && !streamed) {
        await streamLog(onOutput).catch((error: unknown) => {
          // How it ended is known: a server gone by now costs the rest of the output, not the answer.
          if (error instanceof WaitInterrupted) throw error;
        });
      }
      return { record, fromTail, bytes: printed };
    }
    try {
      await delay(pause, undefined, signal ? { signal } : {});
    } catch {
      throw new WaitInterrupted();
    }
    pause = Math.min(MAX_PAUSE_MS, pause * 2);
  }
}

/**
 * Ctrl-C while waiting ends the wait, not the process mid-line: the command can say the run goes on
 * and exit 130. A second Ctrl-C gets the default (the handler is gone after the first).
 */
export function interruptOnCtrlC(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  // Ends a follow stream now; a read of the record in flight is short and is let finish.
  const onSigint = (): void => controller.abort();
  process.once('SIGINT', onSigint);
  return { signal: controller.signal, dispose: () => process.off('SIGINT', onSigint) };
}

/** The exit code of a wait that saw its run end: 0 only for a completed run. */
export function exitCodeOf(record: RunRecord): number {
  return record.status === 'completed' ? 0 : 1;
}
