/**
 * A job file's load error for people: one line per problem, each naming the file by its full path,
 * `/home/u/.mxx/jobs/x.toml:3:8: invalid value` or `/home/u/.mxx/jobs/x.toml: schedule.minuet is
 * not a known key`. The loader's messages name the file by its base name only (src/job/issues.ts).
 */
import { basename } from 'node:path';
import type { JobLoadError } from '../../src/api/types.js';

/** What `mxx list` prints after the id of a job whose file failed to load, and its footnote. */
export const LOAD_ERROR_MARK = '!';
export const LOAD_ERROR_FOOTNOTE = `${LOAD_ERROR_MARK} the file of this job failed to load; it runs its last good definition — mxx status ID shows why`;

export function loadErrorLines({ file, error, line, column }: JobLoadError): string[] {
  const name = basename(file);
  if (line !== undefined) {
    const at = `${line}:${column ?? 1}`;
    const prefix = `${name}:${at}: `;
    return [`${file}:${at}: ${error.startsWith(prefix) ? error.slice(prefix.length) : error}`];
  }
  return error
    .split('\n')
    .filter((text) => text.trim() !== '')
    .map((text) => (text.startsWith(`${name}:`) ? `${file}${text.slice(name.length)}` : `${file}: ${text}`));
}
