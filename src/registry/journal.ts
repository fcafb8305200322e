/**
 * The registry's journal: changes not yet compacted into registry.json, one JSON line each:
 * `{"seq":7,"op":"put","entry":{…}}` or `{"seq":8,"op":"del","job_id":"x"}`. A batch of changes is
 * appended with one write and one fdatasync, and its last line carries `"end":true`: at load only
 * whole batches count, so a write cut short (a kill, ENOSPC) never replays part of a refused batch.
 */
import { mkdir, open, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { syncDir } from '../atomic-file.js';

export type JournalChange = { op: 'put'; id: string; json: string } | { op: 'del'; id: string };

/** A parsed line: `entry` is still unchecked (parseRegistryEntry decides). */
export type JournalRecord = { seq: number; line: number } & ({ op: 'put'; entry: unknown } | { op: 'del'; job_id: string });

export function encodeBatch(changes: JournalChange[], firstSeq: number): string {
  return changes
    .map((change, i) => {
      const head = `{"seq":${firstSeq + i},`;
      const end = i === changes.length - 1 ? ',"end":true}\n' : '}\n';
      return change.op === 'put' ? `${head}"op":"put","entry":${change.json}${end}` : `${head}"op":"del","job_id":${JSON.stringify(change.id)}${end}`;
    })
    .join('');
}

/**
 * Appends `text` where the journal's last whole batch ends (`offset`) and fdatasyncs. Bytes beyond
 * `offset` (a torn line, a batch that failed half-way) are cut first, and cut again on failure, so a
 * later batch never lands behind them. Creates the file (and its folder) when missing.
 */
export async function appendBatch(path: string, offset: number, text: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    if (offset === 0) await mkdir(dirname(path), { recursive: true });
    handle = await open(path, 'a', 0o600);
    const { size } = await handle.stat();
    if (size > offset) await handle.truncate(offset);
    await handle.writeFile(text);
    await handle.datasync();
  } catch (error) {
    await handle?.truncate(offset).catch(() => undefined);
    throw error;
  } finally {
    await handle?.close().catch(() => undefined);
  }
  // A new journal's name must survive a power loss as well as its content.
  if (offset === 0) await syncDir(dirname(path));
}

/** Removes the journal after a compaction; the next batch creates it again. */
export async function removeJournal(path: string): Promise<void> {
  await rm(path, { force: true });
  await syncDir(dirname(path));
}

export interface ParsedJournal {
  /** Lines of whole batches, in order. */
  records: JournalRecord[];
  /** Byte length of the whole batches: where the next batch goes. */
  validBytes: number;
  /** What follows the last whole batch and is ignored (a torn line, a batch cut short). */
  tail?: string;
  /** The first line that is neither a change nor the torn end of the file: the journal is damaged. */
  corrupt?: { line: number; reason: string };
}

function recordOf(value: unknown, line: number): (JournalRecord & { end: boolean }) | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { seq, op, entry, job_id, end } = value as Record<string, unknown>;
  if (typeof seq !== 'number' || !Number.isInteger(seq) || seq < 1) return undefined;
  const last = end === true;
  if (op === 'put' && entry !== undefined) return { seq, line, op, entry, end: last };
  if (op === 'del' && typeof job_id === 'string') return { seq, line, op, job_id, end: last };
  return undefined;
}

export function parseJournal(bytes: Buffer): ParsedJournal {
  const records: JournalRecord[] = [];
  let batch: JournalRecord[] = [];
  let validBytes = 0;
  let start = 0;
  for (let line = 1; start < bytes.length; line++) {
    const newline = bytes.indexOf(0x0a, start);
    const stop = newline === -1 ? bytes.length : newline + 1;
    const text = bytes.subarray(start, newline === -1 ? bytes.length : newline).toString('utf8');
    let record: ReturnType<typeof recordOf>;
    try {
      record = recordOf(JSON.parse(text), line);
    } catch {
      record = undefined;
    }
    if (record === undefined) {
      // Only the very end of the file may be torn: a kill mid-append leaves no newline after it.
      if (newline === -1) return { records, validBytes, tail: `line ${line} (torn last line)` };
      return { records, validBytes, corrupt: { line, reason: text.trim() === '' ? 'an empty line' : 'not a journal record' } };
    }
    const { end, ...kept } = record;
    batch.push(kept);
    if (end) {
      records.push(...batch);
      batch = [];
      validBytes = stop;
    }
    start = stop;
  }
  if (batch.length > 0) return { records, validBytes, tail: `${batch.length} change(s) of a write that did not finish` };
  return { records, validBytes };
}
