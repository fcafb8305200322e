/**
 * GET /events, the Server-Sent Events stream (SPEC §10): replay from the hub's ring after
 * `Last-Event-ID` / `?since=`, then live events, filtered by `?job=` and `?type=`. Bounded in
 * subscribers (503 TOO_MANY_SUBSCRIBERS beyond) and in each subscriber's unread backlog.
 */
import type { ServerResponse } from 'node:http';
import { MxxError } from '../errors.js';
import type { EventHub } from '../events/hub.js';
import type { Logger } from '../logger.js';
import type { Routes } from './routes.js';
import { parseEventQuery } from './sse-query.js';
import { createFanout } from './sse-fanout.js';

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

/**
 * Equal for queries that select the same events, '' for one that selects all (parseEventQuery's
 * filter then passes everything): streams with equal keys share one chunk per flush.
 */
function filterKey(params: URLSearchParams): string {
  const values = (name: string): string => [...new Set(params.getAll(name).filter((value) => value !== ''))].sort().join(',');
  const jobs = values('job');
  const types = values('type');
  return jobs === '' && types === '' ? '' : `${jobs}|${types}`;
}

export function registerEventRoutes(routes: Routes, hub: EventHub, options: EventRoutesOptions): EventStreams {
  const { logger, maxSubscribers, heartbeatMs, maxBacklogBytes } = resolveEventRoutesOptions(options);
  const fanout = createFanout({
    hub,
    maxBacklogBytes,
    heartbeatMs,
    onDrop: (bytes) =>
      logger.warn(`event stream: dropped a client that stopped reading (${bytes} bytes unsent, the bound is ${maxBacklogBytes})`),
  });

  routes.get('/events', (event) => {
    const query = parseEventQuery(event);
    if (fanout.size >= maxSubscribers) {
      throw new MxxError('TOO_MANY_SUBSCRIBERS', `${maxSubscribers} clients already read the event stream, the most this server allows`, {
        hint: 'retry in a moment, or close a stream you no longer read',
      });
    }
    if (event.req.method === 'HEAD') return new Response(null, { headers: STREAM_HEADERS });
    // Written to the Node response itself: a web ReadableStream through the adapter costs a few
    // promises per chunk and per subscriber, and hides the socket's unsent bytes (the backlog).
    const res = event.runtime?.node?.res as ServerResponse | undefined;
    if (!res) throw new MxxError('INTERNAL', 'the event stream is served only by the Node.js HTTP server (no node:http response here)');
    res.writeHead(200, STREAM_HEADERS);
    // A write after a reset connection must not become an uncaught error; the close below follows.
    res.on('error', () => res.destroy());
    fanout.add(res, { ...query, filterKey: filterKey(event.url.searchParams) });
    // The answer is the stream itself: h3 and the adapter are told only once it has closed (their
    // end() on a finished response does nothing).
    return new Promise<Response>((resolve) => {
      if (res.destroyed) resolve(new Response(null));
      else res.once('close', () => resolve(new Response(null)));
    });
  });

  return { close: () => fanout.close() };
}
