/**
 * Job-file formats by extension: the one table, for the loader, the watcher's filter and
 * `mxx register`. Kept apart from load-file.ts so the CLI can read it without loading the parsers.
 */
import { extname } from 'node:path';

export type JobFileFormat = 'toml' | 'yaml' | 'json';

const FORMATS: Readonly<Record<string, JobFileFormat>> = { '.toml': 'toml', '.yaml': 'yaml', '.yml': 'yaml', '.json': 'json' };

const EXTENSIONS = Object.keys(FORMATS);

/** `.toml, .yaml, .yml or .json`, for messages. */
export const JOB_FILE_EXTENSIONS = `${EXTENSIONS.slice(0, -1).join(', ')} or ${EXTENSIONS.at(-1)!}`;

/** The format a path's extension (any case) names, or null: `x.TOML` is TOML, `x.toml~` is none. */
export function formatOfExtension(path: string): JobFileFormat | null {
  return FORMATS[extname(path).toLowerCase()] ?? null;
}
