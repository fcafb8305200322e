/** The notifier's options: documented defaults, filled and checked in one place. */
import type { NotifySpec } from '../job/notify.js';
import type { Logger } from '../logger.js';
import { assertWholeNumber } from '../supervisor/options.js';

export interface NotifierOptions {
  /** config.toml's `[notify]` table: defaults for every job. @default none */
  defaults?: NotifySpec;
  logger: Logger;
  /** The server's own URL, for the webhook body's `server_url`. */
  serverUrl: () => string;
  /** Time one webhook attempt may take, answer included (SPEC §12). @default 10 000 ms */
  timeoutMs?: number;
  /** Attempts after the first one, on a network error, a timeout or a 5xx. @default 3 */
  retries?: number;
  /** The wait before the first retry, doubled for each next one (1 s, 2 s, 4 s). @default 1 000 ms */
  backoffMs?: number;
  /** ms between SIGTERM and SIGKILL for a notify cmd past its lifetime. @default 5 000 */
  cmdGraceMs?: number;
  /** Deliveries (webhook attempts, cmds) under way at once; the rest wait in line. @default 16 */
  maxInFlight?: number;
  /** Deliveries waiting in line; one more is dropped (logged, counted failed). @default 1 000 */
  maxQueued?: number;
  /** At shutdown, how long deliveries under way may still take before they are aborted. @default 5 000 ms */
  closeTimeoutMs?: number;
  /** A notify cmd's output kept (the end of it), shown in the server log when the cmd fails. @default 64 KiB */
  outputBytes?: number;
}

export interface ResolvedNotifierOptions {
  defaults: NotifySpec | undefined;
  logger: Logger;
  serverUrl: () => string;
  timeoutMs: number;
  retries: number;
  backoffMs: number;
  cmdGraceMs: number;
  maxInFlight: number;
  maxQueued: number;
  closeTimeoutMs: number;
  outputBytes: number;
}

export const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;
export const DEFAULT_WEBHOOK_RETRIES = 3;
export const DEFAULT_BACKOFF_MS = 1_000;
export const DEFAULT_CMD_GRACE_MS = 5_000;
export const DEFAULT_MAX_IN_FLIGHT = 16;
export const DEFAULT_MAX_QUEUED = 1_000;
export const DEFAULT_CLOSE_TIMEOUT_MS = 5_000;
export const DEFAULT_OUTPUT_BYTES = 64 * 1024;

export function resolveNotifierOptions(options: NotifierOptions): ResolvedNotifierOptions {
  const whole = (value: number | undefined, fallback: number, name: string, min: number): number =>
    assertWholeNumber(value ?? fallback, `notifier.${name}`, min);
  return {
    defaults: options.defaults,
    logger: options.logger,
    serverUrl: options.serverUrl,
    timeoutMs: whole(options.timeoutMs, DEFAULT_WEBHOOK_TIMEOUT_MS, 'timeoutMs', 1),
    retries: whole(options.retries, DEFAULT_WEBHOOK_RETRIES, 'retries', 0),
    backoffMs: whole(options.backoffMs, DEFAULT_BACKOFF_MS, 'backoffMs', 0),
    cmdGraceMs: whole(options.cmdGraceMs, DEFAULT_CMD_GRACE_MS, 'cmdGraceMs', 0),
    maxInFlight: whole(options.maxInFlight, DEFAULT_MAX_IN_FLIGHT, 'maxInFlight', 1),
    maxQueued: whole(options.maxQueued, DEFAULT_MAX_QUEUED, 'maxQueued', 0),
    closeTimeoutMs: whole(options.closeTimeoutMs, DEFAULT_CLOSE_TIMEOUT_MS, 'closeTimeoutMs', 0),
    outputBytes: whole(options.outputBytes, DEFAULT_OUTPUT_BYTES, 'outputBytes', 0),
  };
}
