/** Temporary homes: one folder per server, all removed at the end (and on a crash, best effort). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made = new Set<string>();

export function makeTempDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `mxx-bench-${label}-`));
  made.add(dir);
  return dir;
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  made.delete(dir);
}

export function removeAllTempDirs(): void {
  for (const dir of [...made]) removeTempDir(dir);
}
