/**
 * A small tmpfs for disk-fault tests: full (blocks and inodes) and read-only on demand. Needs root
 * (CI and the development machines run as root); `mountTmpfs` says why when it cannot mount, and
 * the test skips with that reason.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Tmpfs {
  dir: string;
  /** Fills every block and inode (a filler folder inside `dir`). */
  fill(): Promise<void>;
  /** Frees what fill() took. */
  free(): Promise<void>;
  /** Remounts the whole tmpfs read-only (refused with EBUSY while a file is open for writing). */
  readOnly(on: boolean): void;
  /**
   * Makes one folder inside the mount read-only (a read-only bind mount over itself): works while
   * the server holds other files open for writing.
   */
  readOnlyDir(path: string, on: boolean): void;
  unmount(): Promise<void>;
}

/** Mounts a tmpfs of `sizeKb` KiB with `inodes` inodes, or returns the reason it cannot. */
export async function mountTmpfs(sizeKb = 2048, inodes = 400): Promise<Tmpfs | string> {
  if (process.platform !== 'linux') return 'tmpfs mounts are Linux-only';
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root';
  const dir = await mkdtemp(join(tmpdir(), 'mxx-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k,nr_inodes=${inodes},mode=0755`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    return `mount -t tmpfs was refused here: ${(error as Error).message.split('\n')[0]}`;
  }
  const filler = join(dir, '.filler');
  return {
    dir,
    async fill() {
      await mkdir(filler, { recursive: true });
      const handle = await open(join(filler, 'blocks'), 'w');
      const chunk = Buffer.alloc(64 * 1024);
      try {
        for (;;) await handle.write(chunk);
      } catch {
        // ENOSPC: every block is taken
      } finally {
        await handle.close().catch(() => undefined);
      }
      for (let i = 0; ; i++) {
        try {
          await writeFile(join(filler, `inode-${i}`), '');
        } catch {
          break; // ENOSPC: every inode is taken
        }
      }
    },
    async free() {
      await rm(filler, { recursive: true, force: true });
    },
    readOnly(on) {
      execFileSync('mount', ['-o', `remount,${on ? 'ro' : 'rw'}`, dir], { stdio: 'pipe' });
    },
    readOnlyDir(path, on) {
      if (on) {
        execFileSync('mount', ['--bind', path, path], { stdio: 'pipe' });
        execFileSync('mount', ['-o', 'remount,ro,bind', path], { stdio: 'pipe' });
      } else {
        execFileSync('umount', [path], { stdio: 'pipe' });
      }
    },
    async unmount() {
      try {
        execFileSync('umount', [dir], { stdio: 'pipe' });
      } catch {
        execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
      }
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    },
  };
}

/**
 * A 64 KiB tmpfs (read-only if asked), added to `mounts` so the caller's afterAll unmounts it; null
 * where mounting is not permitted (not root, no CAP_SYS_ADMIN).
 */
export async function smallDisk(mounts: Tmpfs[], { readOnly = false } = {}): Promise<string | null> {
  const mount = await mountTmpfs(64);
  if (typeof mount === 'string') return null;
  mounts.push(mount);
  if (readOnly) mount.readOnly(true);
  return mount.dir;
}
