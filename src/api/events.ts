/** STUB (to be built): GET /events, the Server-Sent Events stream (SPEC §10). */
import type { EventHub } from '../events/hub.js';
import type { Logger } from '../logger.js';
import type { Routes } from './routes.js';

export const DEFAULT_MAX_EVENT_SUBSCRIBERS = 100;

export interface EventRoutesOptions {
  logger: Logger;
  /** @default 100 */
  maxSubscribers?: number;
}

export interface EventStreams {
  /** Ends every open stream (shutdown). */
  close(): void;
}

export function registerEventRoutes(_routes: Routes, _hub: EventHub, _options: EventRoutesOptions): EventStreams {
  return { close: () => undefined };
}
