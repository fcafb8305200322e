/** token_file: the API token read from a file only its owner can read (SPEC §9). */
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { MxxError } from '../errors.js';

/**
 * The file's content without one trailing newline (`echo secret > file` writes one). Refused when
 * the file is open to group or others: then the token is not a secret any more.
 */
export function readTokenFile(path: string): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new MxxError(
      'CONFIG_INVALID',
      code === 'ENOENT' ? `token_file ${path} does not exist` : `cannot read token_file ${path}: ${(error as Error).message}`,
      { hint: `write the token there: \`openssl rand -hex 16 > ${path} && chmod 600 ${path}\``, cause: error },
    );
  }
  try {
    // The mode of the file that is read (fstat on the open file), not of whatever the path names later.
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw new MxxError('CONFIG_INVALID', `token_file ${path} is not a regular file`);
    if ((stats.mode & 0o077) !== 0) {
      const mode = (stats.mode & 0o777).toString(8).padStart(4, '0');
      throw new MxxError('CONFIG_INVALID', `token_file ${path} is readable or writable by group or others (mode ${mode}); the token must be its owner's alone`, {
        hint: `chmod 600 ${path}`,
      });
    }
    return readFileSync(fd, 'utf8').replace(/\r?\n$/, '');
  } finally {
    closeSync(fd);
  }
}
