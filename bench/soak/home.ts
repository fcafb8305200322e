/**
 * The soak's folders: a home for the server (a small tmpfs where the machine allows, so it can be
 * filled to ENOSPC) and a markers folder outside it (the jobs' ground truth must survive a full disk).
 * Everything made here is removed by `removeSoakDirs`, which also unmounts, on every way out.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, rmSync, writeSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SoakDirs {
  home: string;
  marks: string;
  /** Why the home is a plain folder (no full-disk phase), or null when it is a tmpfs. */
  tmpfsRefused: string | null;
  sizeMb: number;
}

const made: string[] = [];
const mounted: string[] = [];

function tryMount(dir: string, sizeMb: number): string | null {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (process.getuid?.() !== 0) return 'not root (mounting a tmpfs needs it)';
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m,mode=0700`, 'tmpfs', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
    mounted.push(dir);
    return null;
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    return `mount -t tmpfs refused: ${stderr || (error as Error).message}`;
  }
}

export function createSoakDirs(sizeMb: number): SoakDirs {
  const home = mkdtempSync(join(tmpdir(), 'mxx-soak-home-'));
  made.push(home);
  const marks = mkdtempSync(join(tmpdir(), 'mxx-soak-marks-'));
  made.push(marks);
  return { home, marks, tmpfsRefused: tryMount(home, sizeMb), sizeMb };
}

export function removeSoakDirs(): void {
  for (const dir of mounted.splice(0)) {
    try {
      execFileSync('umount', [dir], { stdio: 'ignore' });
    } catch {
      // Busy (a leftover process has its cwd or a file there): detach it, so the mount does not outlive us.
      try {
        execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
      } catch {
        process.stderr.write(`soak: could not unmount ${dir}; run umount ${dir}\n`);
      }
    }
  }
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}

export interface Filler {
  /** Bytes written before ENOSPC. */
  bytes: number;
  release(): void;
}

/** Writes a file in `dir` until the file system says ENOSPC (or `capMb` is reached). */
export function fillDisk(dir: string, capMb: number): Filler {
  const file = join(dir, 'soak-filler.bin');
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(1 << 20, 0x5a);
  let bytes = 0;
  try {
    while (bytes < capMb << 20) {
      try {
        bytes += writeSync(fd, chunk);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
        // Top up the last partial page with smaller writes.
        for (let size = 1 << 16; size >= 512; size >>= 1) {
          try {
            bytes += writeSync(fd, chunk.subarray(0, size));
            size <<= 1;
          } catch {
            // next smaller size
          }
        }
        break;
      }
    }
  } finally {
    closeSync(fd);
  }
  return {
    bytes,
    release: () => {
      try {
        unlinkSync(file);
      } catch {
        // already gone
      }
    },
  };
}
