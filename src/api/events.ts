/**
 * GET /events, the Server-Sent Events stream (SPEC §10): replay from the hub's ring after
 * `Last-Event-ID` / `?since=`, then live events, filtered by `?job=` and `?type=`. Bounded in
 * subscribers (503 TOO_MANY_SUBSCRIBERS beyond) and in each subscriber's unread backlog.
 */
import { MxxError } from '../errors.js';
import type { EventHub } from '../events/hub.js';
import type { Logger } from '../logger.js';
import type { Routes } from './routes.js';
import { parseEventQuery } from './sse-query.js';
import { createFrameCache, createSubscriber, type Subscriber } from './sse-subscriber.js';

export const DEFAULT_MAX_EVENT_SUBSCRIBERS = 100;
/** Below the 30–60 s idle timeouts of common proxies, and at most the 15 s of SPEC §10. */
export const DEFAULT_EVENT_HEARTBEAT_MS = 15_000;
/** About 3 000 run.ended events: a client that is merely slow catches up; one that stopped reading is cut off. */
export const DEFAULT_EVENT_BACKLOG_BYTES = 1024 * 1024;

export interface EventRoutesOptions {
  logger: Logger;
  /** Open streams at once, over the whole server; beyond: 503 TOO_MANY_SUBSCRIBERS. @default 100 */
  maxSubscribers?: number;
  /** A comment line on every stream this often, so proxies keep an idle stream open. @default 15000 */
  heartbeatMs?: number;
  /** Unsent bytes a subscriber may have queued before it is dropped. @default 1 MiB */
  maxBacklogBytes?: number;
}

export type ResolvedEventRoutesOptions = Required<EventRoutesOptions>;

export interface EventStreams {
  /** Ends every open stream (shutdown). */
  close(): void;
}

function positiveInteger(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw new TypeError(`options.${name} must be a positive integer, got ${String(value)}`);
  return value;
}

export function resolveEventRoutesOptions(options: EventRoutesOptions): ResolvedEventRoutesOptions {
  return {
    logger: options.logger,
    maxSubscribers: positiveInteger(options.maxSubscribers, 'maxSubscribers', DEFAULT_MAX_EVENT_SUBSCRIBERS),
    heartbeatMs: positiveInteger(options.heartbeatMs, 'heartbeatMs', DEFAULT_EVENT_HEARTBEAT_MS),
    maxBacklogBytes: positiveInteger(options.maxBacklogBytes, 'maxBacklogBytes', DEFAULT_EVENT_BACKLOG_BYTES),
  };
}

const STREAM_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-store',
  // nginx buffers proxied answers unless told not to; an event stream must not wait in a buffer.
  'x-accel-buffering': 'no',
  // A stream holds its connection to the end; reused after that, a client reconnecting to a server
  // that is shutting down would be let in again on the old connection until it is cut.
  connection: 'close',
};

export function registerEventRoutes(routes: Routes, hub: EventHub, options: EventRoutesOptions): EventStreams {
  const { logger, maxSubscribers, heartbeatMs, maxBacklogBytes } = resolveEventRoutesOptions(options);
  const subscribers = new Set<Subscriber>();
  const frameOf = createFrameCache();
  let heartbeat: NodeJS.Timeout | null = null;
  let closed = false;

  // One timer for every stream, running only while there is one.
  const startHeartbeat = (): void => {
    heartbeat ??= setInterval(() => {
      for (const subscriber of subscribers) subscriber.comment('keep-alive');
    }, heartbeatMs).unref();
  };
  const stopHeartbeat = (): void => {
    if (heartbeat) clearInterval(heartbeat);
    heartbeat = null;
  };

  routes.get('/events', (event) => {
    const query = parseEventQuery(event);
    if (subscribers.size >= maxSubscribers) {
      throw new MxxError('TOO_MANY_SUBSCRIBERS', `${maxSubscribers} clients already read the event stream, the most this server allows`, {
        hint: 'retry in a moment, or close a stream you no longer read',
      });
    }
    const subscriber = createSubscriber({
      hub,
      ...query,
      maxBacklogBytes,
      frameOf,
      onDrop: (bytes) =>
        logger.warn(`event stream: dropped a client that stopped reading (${bytes} bytes unsent, the bound is ${maxBacklogBytes})`),
      onClose: () => {
        subscribers.delete(subscriber);
        if (subscribers.size === 0) stopHeartbeat();
      },
    });
    if (closed) {
      // Shutting down: the stream opens and ends at once, as every other one did.
      subscriber.end();
    } else {
      subscribers.add(subscriber);
      startHeartbeat();
    }
    return new Response(subscriber.stream, { headers: STREAM_HEADERS });
  });

  return {
    close() {
      closed = true;
      stopHeartbeat();
      for (const subscriber of subscribers) subscriber.end();
    },
  };
}
