/** Start-up: registry.json, then the journal's changes replayed over it, into a fresh map. */
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseRegistryEntry } from './entry.js';
import { removeStaleTempFiles } from '../atomic-file.js';
import { MxxError } from '../errors.js';
import type { Logger } from '../logger.js';
import { describeId, moveAside, readRegistryDocument, type StoredRegistry } from './document.js';
import { parseJournal } from './journal.js';

export interface LoadedRegistry extends StoredRegistry {
  /** Where the next batch is appended. */
  journalBytes: number;
  /** The journal was damaged and moved aside: memory holds changes no file has, so compact at once. */
  mustCompact: boolean;
}

export async function loadRegistry(file: string, journal: string, logger: Logger): Promise<LoadedRegistry> {
  // Temp files of compactions killed mid-way; the file they were to replace is whole.
  for (const dir of new Set([dirname(file), dirname(journal)])) {
    const removed = await removeStaleTempFiles(dir);
    if (removed.length > 0) logger.info(`registry: removed ${removed.length} temp file(s) left by interrupted writes: ${removed.join(', ')}`);
  }
  const stored = await readRegistryDocument(file, logger);
  let bytes: Buffer;
  try {
    bytes = await readFile(journal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { ...stored, journalBytes: 0, mustCompact: false };
    throw new MxxError('INTERNAL', `could not read the registry journal ${journal}; refusing to write without it`, {
      cause: error,
      hint: 'check the file and its permissions',
    });
  }
  const parsed = parseJournal(bytes);
  const { entries } = stored;
  let seq = stored.seq;
  for (const record of parsed.records) {
    // Already in registry.json: a crash came between a compaction and the journal's truncation.
    if (record.seq <= stored.seq) continue;
    seq = Math.max(seq, record.seq);
    if (record.op === 'del') {
      entries.delete(record.job_id);
      continue;
    }
    const result = parseRegistryEntry(record.entry);
    if ('problems' in result) {
      logger.warn(`registry journal ${journal}: skipped line ${record.line}${describeId(record.entry)}: ${result.problems.join('; ')}`);
    } else {
      entries.set(result.entry.job_id, result.entry);
    }
  }
  if (parsed.corrupt) {
    const { line, reason } = parsed.corrupt;
    let aside: string;
    try {
      aside = await moveAside(journal);
    } catch (error) {
      throw new MxxError('INTERNAL', `registry journal ${journal} is damaged at line ${line} (${reason}) and could not be moved aside`, {
        cause: error,
        hint: 'move the file away by hand, or fix it',
      });
    }
    logger.error(
      `registry journal ${journal} is damaged at line ${line} (${reason}); kept the changes before it, moved the journal to ${aside}`,
    );
    return { entries, seq, bytes: stored.bytes, journalBytes: 0, mustCompact: true };
  }
  if (parsed.tail) logger.warn(`registry journal ${journal}: ignored ${parsed.tail}; every change before it is kept`);
  return { entries, seq, bytes: stored.bytes, journalBytes: parsed.validBytes, mustCompact: false };
}
