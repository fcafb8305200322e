/**
 * The one table of error codes. The API maps `status` to the HTTP status, the CLI maps
 * every code to exit 1 except SERVER_UNREACHABLE (3) and CONFIG_INVALID (2, like a bad flag);
 * usage errors exit 2.
 */
export const ERROR_CODES = {
  INVALID_REQUEST: { status: 400, exit: 1 },
  INVALID_JOB: { status: 400, exit: 1 },
  /** config.toml (or its token_file) is wrong: the command line as configured cannot run, like a bad flag. */
  CONFIG_INVALID: { status: 400, exit: 2 },
  UNAUTHORIZED: { status: 401, exit: 1 },
  FORBIDDEN_ORIGIN: { status: 403, exit: 1 },
  JOB_NOT_FOUND: { status: 404, exit: 1 },
  RUN_NOT_FOUND: { status: 404, exit: 1 },
  NOT_FOUND: { status: 404, exit: 1 },
  /** The run exists but neither its log file nor an output tail is left. */
  LOG_NOT_FOUND: { status: 404, exit: 1 },
  JOB_EXISTS: { status: 409, exit: 1 },
  JOB_BUSY: { status: 409, exit: 1 },
  JOB_FROM_FILE: { status: 409, exit: 1 },
  /** The job's [placement] labels are not all this server's (SPEC §15). */
  PLACEMENT_MISMATCH: { status: 409, exit: 1 },
  BODY_TOO_LARGE: { status: 413, exit: 1 },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, exit: 1 },
  INTERNAL: { status: 500, exit: 1 },
  /** A change could not be persisted (full or read-only disk): nothing was changed; retry later. */
  STORAGE_UNAVAILABLE: { status: 503, exit: 1 },
  /** The server is still loading its registry and job files; retry in a moment. */
  SERVER_STARTING: { status: 503, exit: 1 },
  /** A bounded resource (log followers, event subscribers) is at its limit; retry later. */
  TOO_MANY_SUBSCRIBERS: { status: 503, exit: 1 },
  SERVER_UNREACHABLE: { status: 503, exit: 3 },
} as const satisfies Record<string, { status: number; exit: number }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface MxxErrorOptions {
  hint?: string;
  /** Structured details, e.g. the list of validation problems. */
  details?: unknown;
  cause?: unknown;
}

export class MxxError extends Error {
  override readonly name = 'MxxError';
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, options: MxxErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
    this.details = options.details;
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }

  get exitCode(): number {
    return ERROR_CODES[this.code].exit;
  }

  /** The API's error body: `error` stays a string so the original client can print it. */
  toJSON(): { error: string; code: ErrorCode; hint?: string; details?: unknown } {
    return {
      error: this.message,
      code: this.code,
      ...(this.hint === undefined ? {} : { hint: this.hint }),
      ...(this.details === undefined ? {} : { details: this.details }),
    };
  }
}

export function isMxxError(value: unknown): value is MxxError {
  return value instanceof MxxError;
}
