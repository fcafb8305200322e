/**
 * Which registry entries a server's job files own. On one server every file job is its own. On
 * several servers sharing a store, each loads its own jobs folder into the shared registry, and an
 * entry loaded from a file names the server whose folder defines it (`node`): only that server
 * may replace or remove it because of a file, even when another server has a file at the same
 * path (two machines with the same home layout). An entry without `node` (one server's, or
 * imported by `mxx store import`) belongs to whichever server has that file.
 */
import type { RegistryEntry } from '../records.js';

/** The entry was loaded from a job file by this server (`self`: its node id, null on one server). */
export function isOwnFileEntry(entry: Pick<RegistryEntry, 'source' | 'node'> | undefined, self: string | null): boolean {
  return entry?.source === 'file' && (self === null || entry.node === undefined || entry.node === self);
}

/** The entry is this server's job of the file `file`. */
export function isOwnJobOfFile(entry: Pick<RegistryEntry, 'source' | 'node' | 'file'> | undefined, file: string, self: string | null): boolean {
  return isOwnFileEntry(entry, self) && entry?.file === file;
}
