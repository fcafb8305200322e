/**
 * A small levelled logger: timestamped lines on stderr (or a given stream), as text for people or
 * as one JSON object a line (`--log-format json`) for log collectors.
 */
import type { Writable } from 'node:stream';
import { inspect } from 'node:util';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  level: LogLevel;
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface LoggerOptions {
  /** @default 'info' */
  level?: LogLevel;
  /** @default process.stderr */
  stream?: Writable;
  /**
   * `text`: `<time> LEVEL message key=value …`. `json`: `{"time", "level", "msg", …fields}` on one
   * line, an Error as `{message, stack}` (plus `code` and `cause` when it has them). @default 'text'
   */
  format?: LogFormat;
}

/** An Error as its stack, then each `cause` the stack does not show (h3 and fetch wrap errors in one). */
function formatError(error: Error): string {
  let text = error.stack ?? `${error.name}: ${error.message}`;
  const seen = new Set<unknown>([error]);
  let cause = error.cause;
  while (cause !== undefined && !seen.has(cause)) {
    seen.add(cause);
    text += `\n  caused by: ${cause instanceof Error ? (cause.stack ?? cause.message) : formatValue(cause)}`;
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return text;
}

/** One line for anything else; never String(value), which turns an object into "[object Object]". */
function formatValue(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    const text = JSON.stringify(value) as string | undefined;
    if (text !== undefined) return text;
  } catch {
    // circular or a BigInt: inspect copes with both
  }
  return inspect(value, { depth: 4, breakLength: Infinity });
}

function formatFields(fields: Record<string, unknown> | undefined): string {
  if (!fields) return '';
  const parts: string[] = [];
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    if (value instanceof Error) {
      parts.push(`${key}=${formatError(value)}`);
      continue;
    }
    const text = typeof value === 'string' ? value : formatValue(value);
    parts.push(`${key}=${/\s/.test(text) ? JSON.stringify(text) : text}`);
  }
  return parts.length ? ` ${parts.join(' ')}` : '';
}

/** The keys every JSON line starts with; a field of the same name is written as `_<name>`. */
const RESERVED = new Set(['time', 'level', 'msg']);

interface ErrorJson {
  message: string;
  stack?: string;
  code?: unknown;
  cause?: unknown;
}

function errorJson(error: Error, seen = new Set<unknown>()): ErrorJson {
  seen.add(error);
  const out: ErrorJson = { message: error.message };
  if (error.stack !== undefined) out.stack = error.stack;
  const code = (error as { code?: unknown }).code;
  if (code !== undefined) out.code = code;
  const cause = error.cause;
  if (cause !== undefined && !seen.has(cause)) out.cause = cause instanceof Error ? errorJson(cause, seen) : cause;
  return out;
}

/** Errors nested in a field become objects too; a BigInt becomes its digits. */
function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  return value instanceof Error ? errorJson(value) : value;
}

function jsonLine(time: string, level: string, message: string, fields: Record<string, unknown> | undefined): string {
  const line: Record<string, unknown> = { time, level, msg: message };
  if (fields) {
    for (const [key, value] of Object.entries(fields)) {
      if (value === undefined) continue;
      // Top level first: JSON.stringify would call an MxxError's toJSON before any replacer.
      line[RESERVED.has(key) ? `_${key}` : key] = value instanceof Error ? errorJson(value) : value;
    }
  }
  try {
    return JSON.stringify(line, jsonReplacer);
  } catch {
    // A circular field: that field as inspect's text, the others as they are.
    for (const [key, value] of Object.entries(line)) {
      try {
        JSON.stringify(value, jsonReplacer);
      } catch {
        line[key] = inspect(value, { depth: 4, breakLength: Infinity });
      }
    }
    return JSON.stringify(line, jsonReplacer);
  }
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const stream = options.stream ?? process.stderr;
  const json = options.format === 'json';
  const logger: Logger = {
    level: options.level ?? 'info',
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
  };
  function write(level: Exclude<LogLevel, 'silent'>, message: string, fields?: Record<string, unknown>): void {
    if (RANK[level] < RANK[logger.level]) return;
    const time = new Date().toISOString();
    stream.write(
      json ? `${jsonLine(time, level, message, fields)}\n` : `${time} ${level.toUpperCase().padEnd(5)} ${message}${formatFields(fields)}\n`,
    );
  }
  return logger;
}

/** A logger that drops everything (tests, embedding). */
export const silentLogger: Logger = createLogger({ level: 'silent' });
