/** STUB (to be built): notifications on run events (SPEC §12). */
import type { NotifySpec } from '../job/notify.js';
import type { Logger } from '../logger.js';
import type { Supervisor } from '../supervisor/index.js';
import type { NotificationCounts, NotificationResult } from './types.js';

export interface NotifierOptions {
  /** config.toml's `[notify]` table: defaults for every job. */
  defaults?: NotifySpec;
  logger: Logger;
  /** The server's own URL, for the webhook body's `server_url`. */
  serverUrl: () => string;
}

export interface Notifier extends NotificationCounts {
  /** Stops listening; resolves when deliveries under way have ended (cmds stopped). */
  close(): Promise<void>;
}

export function startNotifier(_supervisor: Supervisor, _options: NotifierOptions): Notifier {
  const counts: Record<NotificationResult, number> = { delivered: 0, failed: 0, retried: 0 };
  return { counts: () => ({ ...counts }), close: async () => undefined };
}
