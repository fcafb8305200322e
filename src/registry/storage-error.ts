/** The answer to a change that could not be saved: 503 STORAGE_UNAVAILABLE, naming the cause and the folder. */
import { MxxError } from '../errors.js';

const REASONS: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EIO: 'input/output error',
  ENOTDIR: 'a path component is not a folder',
  EISDIR: 'the path is a folder',
  EMFILE: 'too many open files',
};

/** `ENOSPC (no space left on device)`, or the error's own message when it has no errno code. */
export function describeIoError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string') return `${code} (${REASONS[code] ?? (error as Error).message})`;
  return error instanceof Error ? error.message : String(error);
}

export function storageUnavailable(error: unknown, path: string, dir: string): MxxError {
  return new MxxError('STORAGE_UNAVAILABLE', `could not save the registry: ${describeIoError(error)} writing ${path}`, {
    cause: error,
    hint: `free disk space or fix permissions of ${dir}; nothing was changed`,
  });
}
