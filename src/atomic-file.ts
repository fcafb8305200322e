/**
 * Crash-safe file replacement (SPEC §8): readers see either the old content or the new, never a mix,
 * and after the promise resolves the new content survives a power loss.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface WriteFileAtomicOptions {
  /**
   * Permissions of the new file. Registry and history hold job environments, which may carry secrets.
   * @default 0o600
   */
  mode?: number;
}

/** The temp name starts with a dot and ends in `.tmp`, so folder scans for `*.json`/`*.jsonl` never pick it up. */
function tempPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

/** `.<name>.<pid>.<12 hex>.tmp`, as tempPath makes them. */
const TEMP_NAME = /^\..+\.(\d+)\.[0-9a-f]{12}\.tmp$/;

/**
 * Removes the temp files that writers killed mid-write left in `dir` (they are never renamed, so they
 * would pile up). Files of this process are kept: they may belong to a write in flight. Call at start,
 * while no other process writes to `dir` (the home lock). Returns the removed paths; a file that
 * cannot be removed is left for the next start.
 */
export async function removeStaleTempFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const stale = names.filter((name) => {
    const pid = TEMP_NAME.exec(name)?.[1];
    return pid !== undefined && Number(pid) !== process.pid;
  });
  const removed: string[] = [];
  for (const name of stale) {
    const path = join(dir, name);
    if (await unlink(path).then(() => true, () => false)) removed.push(path);
  }
  return removed;
}

/**
 * Writes `data` to a temp file beside `path`, fsyncs it, renames it over `path` and fsyncs the folder so
 * the rename itself is durable. Creates the folder if missing; removes the temp file on failure.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: WriteFileAtomicOptions = {},
): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = tempPath(path);
  let handle: FileHandle | undefined;
  try {
    handle = await open(tmp, 'wx', options.mode ?? 0o600);
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(tmp, path);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw error;
  }
  await syncDir(dir);
}

/** Best effort: some platforms (Windows) and file systems refuse to open or fsync a folder. */
export async function syncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // The data itself is already fsynced; only the rename's durability is at stake.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
