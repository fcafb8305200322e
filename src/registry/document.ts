/**
 * registry.json, the compacted registry: `{"version":1,"seq":N,"entries":[…]}`, one entry per line.
 * `seq` is the last journal change it includes (absent in files of older versions: 0), so journal lines
 * at or below it are skipped at load and a crash between a compaction and the journal's truncation
 * replays nothing twice.
 */
import { readFile, rename, stat } from 'node:fs/promises';
import { parseRegistryEntry, REGISTRY_VERSION, registryDocumentProblem } from './entry.js';
import { MxxError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { RegistryEntry } from '../records.js';

export interface StoredRegistry {
  entries: Map<string, RegistryEntry>;
  seq: number;
  /** Size of the file: what a compaction costs, the yardstick of the journal's growth. */
  bytes: number;
}

export function serializeRegistry(lines: string[], seq: number): string {
  // One entry per line: still readable and diffable, without pretty-printing every nested key.
  return `{"version":${REGISTRY_VERSION},"seq":${seq},"entries":[\n${lines.join(',\n')}\n]}\n`;
}

/** Renames `path` to `<path>.corrupt-<time>` and returns the new name. */
export async function moveAside(path: string): Promise<string> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  let aside = `${path}.corrupt-${stamp}`;
  for (let n = 1; await exists(aside); n++) aside = `${path}.corrupt-${stamp}-${n}`;
  await rename(path, aside);
  return aside;
}

/**
 * Reads registry.json: missing = empty; corrupt = moved aside with one error line, then empty.
 * Throws (and the registry must refuse writes) when the file cannot be read or is of a newer version.
 */
export async function readRegistryDocument(file: string, logger: Logger): Promise<StoredRegistry> {
  const entries = new Map<string, RegistryEntry>();
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { entries, seq: 0, bytes: 0 };
    // Writing now would replace a file we never read.
    throw new MxxError('INTERNAL', `could not read the registry ${file}; refusing to overwrite it`, {
      cause: error,
      hint: 'check the file and its permissions',
    });
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    const detail = text.trim() === '' ? 'the file is empty' : `not valid JSON: ${(error as Error).message}`;
    return corrupt(file, detail, logger);
  }
  const problem = registryDocumentProblem(document);
  if (problem !== undefined) return corrupt(file, problem, logger);
  const { version, seq = 0, entries: stored } = document as { version: number; seq?: number; entries: unknown[] };
  if (version > REGISTRY_VERSION) {
    throw new MxxError(
      'INTERNAL',
      `registry ${file} has format version ${version}, newer than this mxx understands (${REGISTRY_VERSION}); refusing to use or overwrite it`,
      { hint: 'upgrade mxx, or move the file away to start with an empty registry' },
    );
  }
  stored.forEach((value, index) => {
    const parsed = parseRegistryEntry(value);
    const name = `entry #${index + 1}${describeId(value)}`;
    if ('problems' in parsed) {
      logger.warn(`registry ${file}: skipped ${name}: ${parsed.problems.join('; ')}`);
    } else if (entries.has(parsed.entry.job_id)) {
      logger.warn(`registry ${file}: skipped ${name}: the id is already taken by an earlier entry`);
    } else {
      entries.set(parsed.entry.job_id, parsed.entry);
    }
  });
  return { entries, seq, bytes: Buffer.byteLength(text) };
}

async function corrupt(file: string, reason: string, logger: Logger): Promise<StoredRegistry> {
  let aside: string;
  try {
    aside = await moveAside(file);
  } catch (error) {
    // Refuse rather than start empty: the next write would destroy the only copy.
    throw new MxxError('INTERNAL', `registry ${file} is corrupt (${reason}) and could not be moved aside`, {
      cause: error,
      hint: 'move the file away by hand, or fix it',
    });
  }
  logger.error(`registry ${file} is corrupt (${reason}); moved it to ${aside} and started with an empty registry`);
  return { entries: new Map(), seq: 0, bytes: 0 };
}

export function describeId(value: unknown): string {
  const id = typeof value === 'object' && value !== null ? (value as { job_id?: unknown }).job_id : undefined;
  return id === undefined ? '' : ` (job_id ${JSON.stringify(id)})`;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
