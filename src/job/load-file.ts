/** Job files on disk: which files are jobs, their text → a document, and a whole file → a JobDefinition. */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { load as loadYaml, YAMLException } from 'js-yaml';
import { parse as parseToml, TomlError } from 'smol-toml';
import { MxxError } from '../errors.js';
import { jsonErrorOffset } from './json-position.js';
import { formatOfExtension, JOB_FILE_EXTENSIONS, type JobFileFormat } from './file-format.js';
import { isJobId, JOB_ID_HINT } from './id.js';
import { parseJobDocument } from './parse.js';
import type { JobDefinition, ValidationIssue } from './types.js';

export interface JobFileInfo {
  id: string;
  format: JobFileFormat;
}

/** The format of a job file's name, or null for names that are not job files (see jobFileInfo). */
export function jobFileFormat(name: string): JobFileFormat | null {
  if (name.startsWith('.') || /\.template\./i.test(name)) return null;
  return formatOfExtension(name);
}

/**
 * Whether a path is a job file, and its id (the file name without its extension). Returns null
 * for files that are not jobs: other extensions (editor backups such as `x.toml~`, `x.swp`),
 * dotfiles (`.#x.toml` lock files) and templates (`*.template.*`).
 * Throws MxxError('INVALID_JOB') for a job file whose name is not a valid id (`my job.toml`):
 * the user meant it as a job, so ignoring it silently would hide the mistake (SPEC §3: "anything
 * else is rejected"). The watcher records it as that file's load error.
 */
export function jobFileInfo(path: string): JobFileInfo | null {
  const name = basename(path);
  const format = jobFileFormat(name);
  if (!format) return null;
  const dot = name.lastIndexOf('.');
  const id = name.slice(0, dot);
  if (!isJobId(id)) {
    throw new MxxError('INVALID_JOB', `${name}: the job id ${JSON.stringify(id)} (the file name without its extension) is not valid`, {
      hint: `rename the file: ${JOB_ID_HINT}`,
      details: [{ path: '', message: `the job id ${JSON.stringify(id)} (the file name without its extension) is not valid` }],
    });
  }
  return { id, format };
}

/**
 * Parses job-file text. Syntax errors become MxxError('INVALID_JOB') reading
 * `<fileName>:<line>:<column>: <what>` (1-based), with details `[{path: '', message, line, column}]`.
 * YAML uses js-yaml 5's default schema, YAML 1.2 core: `yes`/`on` stay strings, dates stay strings
 * (checked as ISO text like JSON's), `<<` merge keys are not special. That keeps YAML files meaning
 * what the same JSON would, with no YAML 1.1 surprises (`country: no` → false).
 */
export function parseJobText(text: string, format: JobFileFormat, fileName: string): unknown {
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    if (format === 'toml') return parseToml(source);
    if (format === 'yaml') return loadYaml(source, { filename: fileName });
    return JSON.parse(source);
  } catch (error) {
    const where = locate(error, format, source);
    if (!where) throw error;
    const issue: ValidationIssue = { path: '', ...where };
    throw new MxxError('INVALID_JOB', `${fileName}:${where.line}:${where.column}: ${where.message}`, {
      details: [issue],
      hint: `fix the ${format.toUpperCase()} syntax at that line and column`,
      cause: error,
    });
  }
}

/** Line and column (1-based) of a syntax error thrown by parseJobText or loadJobFile; undefined for other errors. */
export function syntaxErrorLocation(error: unknown): { line: number; column: number } | undefined {
  const first = error instanceof MxxError && Array.isArray(error.details) ? (error.details[0] as ValidationIssue | undefined) : undefined;
  return first?.line === undefined ? undefined : { line: first.line, column: first.column ?? 1 };
}

function locate(error: unknown, format: JobFileFormat, text: string): { message: string; line: number; column: number } | undefined {
  if (format === 'toml' && error instanceof TomlError) {
    // The message repeats the lines around the error after a blank line; the first line says what.
    const what = error.message.split('\n')[0]!.replace(/^Invalid TOML document: /, '');
    return { message: what, line: error.line, column: error.column };
  }
  if (format === 'yaml' && error instanceof YAMLException) {
    return { message: error.reason || error.message.split('\n')[0]!, line: (error.mark?.line ?? 0) + 1, column: (error.mark?.column ?? 0) + 1 };
  }
  if (format === 'json' && error instanceof SyntaxError) {
    // V8 gives "… in JSON at position N" for some errors, only a snippet for others.
    const position = /at position (\d+)/.exec(error.message);
    const offset = position ? Number(position[1]) : jsonErrorOffset(text);
    const what = error.message
      .replace(/ in JSON at position \d+.*$/s, '')
      .replace(/, (?:\.\.\.)?".*"(?:\.\.\.)? is not valid JSON$/s, '') // V8 quotes a snippet, with … when long
      .replace(/[\n\r\t]/g, (c) => JSON.stringify(c).slice(1, -1)); // "Unexpected token '\n'" stays one line
    return { message: what, ...lineColumn(text, offset) };
  }
  return undefined;
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: before[before.length - 1]!.length + 1 };
}

/**
 * Reads, parses and validates one job file. Its id is the file name without extension and every
 * message starts with the file's base name. Not a job file (see jobFileInfo) is INVALID_JOB too.
 */
export async function loadJobFile(path: string): Promise<JobDefinition> {
  const info = jobFileInfo(path);
  const name = basename(path);
  if (!info) {
    throw new MxxError('INVALID_JOB', `${name}: not a job file`, {
      hint: `job files end in ${JOB_FILE_EXTENSIONS} (and are not *.template.*)`,
      details: [{ path: '', message: 'not a job file' }],
    });
  }
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const message = `cannot read the file: ${(error as Error).message}`;
    throw new MxxError('INVALID_JOB', `${name}: ${message}`, { cause: error, details: [{ path: '', message }] });
  }
  return parseJobDocument(parseJobText(text, info.format, name), { id: info.id, source: name });
}
