/** STUB (to be built): the server log's lines for run ends, registrations, removals, pauses and file loads (SPEC §13). */
import type { EventHub } from './events/hub.js';
import type { Logger } from './logger.js';

/** Writes a log line for each event that has one; returns the unsubscribe. */
export function attachServerLog(hub: EventHub, _logger: Logger): () => void {
  return hub.subscribe(() => undefined);
}
