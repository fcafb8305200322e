/**
 * The event stream's one listener on the hub, for all its subscribers: each event is serialized
 * once and appended to one pending list; one timer flushes that list at most every FLUSH_MS, as one
 * Buffer per distinct filter (the same Buffer written to every subscriber that has that filter).
 * Per event the cost does not grow with the subscribers; per flush it is a write each.
 */
import type { EventHub } from '../events/hub.js';
import type { ServerEvent } from '../events/types.js';
import { sseComment } from './sse.js';
import { createSubscriber, eventFrame, type Subscriber, type SubscriberSink } from './sse-subscriber.js';

/**
 * Pending frames go out together at most once per this many ms: an event after a quiet moment on
 * the next turn of the event loop (with whatever else that turn emitted), a steady flow as a few
 * writes a second. Each write costs the server more than the bytes in it (a write per event cost
 * the scheduler ~10 % of its spawn rate with 10 subscribers).
 */
const FLUSH_MS = 50;

export interface FanoutOptions {
  hub: EventHub;
  /** Unsent bytes a subscriber may have before it is dropped. */
  maxBacklogBytes: number;
  /** A comment line on every stream this often. */
  heartbeatMs: number;
  /** A client that stopped reading was cut off with `bytes` unsent. */
  onDrop: (bytes: number) => void;
}

export interface StreamRequest {
  since: number | null;
  filter: (event: ServerEvent) => boolean;
  /** Equal for requests that select the same events ('' selects all): they share one chunk per flush. */
  filterKey: string;
}

export interface Fanout {
  /** Open streams. */
  readonly size: number;
  /** Starts a stream on `sink` (its head is written at once); it leaves when the sink closes. */
  add(sink: SubscriberSink, request: StreamRequest): void;
  /** Sends what is pending, then ends every stream once its own queue is out; later ones end at once. */
  close(): void;
}

interface Member {
  subscriber: Subscriber;
  filterKey: string;
  /** The sequence number of the first pending entry this member is owed. */
  from: number;
}

export function createFanout(options: FanoutOptions): Fanout {
  const { hub, maxBacklogBytes, heartbeatMs, onDrop } = options;
  const members = new Set<Member>();
  // The pending list: frames, and the event of each (null for a comment, which every stream gets).
  let frames: Buffer[] = [];
  let events: (ServerEvent | null)[] = [];
  let pendingBytes = 0;
  /** The sequence number of frames[0]. */
  let base = 0;
  let flushTimer: NodeJS.Timeout | null = null;
  let flushSoon: NodeJS.Immediate | null = null;
  let lastFlush = Number.NEGATIVE_INFINITY;
  let judging = false;
  let heartbeat: NodeJS.Timeout | null = null;
  let unsubscribe: (() => void) | null = null;
  let closed = false;

  function push(event: ServerEvent | null, frame: Buffer): void {
    frames.push(frame);
    events.push(event);
    pendingBytes += frame.byteLength;
    if (pendingBytes > maxBacklogBytes) {
      // Past the bound: out on the next turn, so a burst is judged after the sockets had it.
      flushSoon ??= setImmediate(flush);
      return;
    }
    flushTimer ??= setTimeout(flush, Math.max(0, lastFlush + FLUSH_MS - performance.now()));
  }

  /** The frames from `start` that pass `filter`, as one Buffer; null when none does. */
  function chunkOf(start: number, member: Member): Buffer | null {
    if (start === 0 && member.filterKey === '') return Buffer.concat(frames, pendingBytes);
    const parts: Buffer[] = [];
    let size = 0;
    for (let i = start; i < frames.length; i++) {
      const event = events[i]!;
      if (event !== null && member.filterKey !== '' && !member.subscriber.filter(event)) continue;
      parts.push(frames[i]!);
      size += frames[i]!.byteLength;
    }
    return parts.length === 0 ? null : Buffer.concat(parts, size);
  }

  function flush(): void {
    if (flushTimer !== null) clearTimeout(flushTimer);
    if (flushSoon !== null) clearImmediate(flushSoon);
    flushTimer = null;
    flushSoon = null;
    lastFlush = performance.now();
    if (frames.length === 0) return;
    const chunks = new Map<string, Buffer | null>();
    let overBound = false;
    for (const member of members) {
      const start = Math.max(0, member.from - base);
      if (start >= frames.length) continue;
      // A stream opened since the last flush is owed only the entries after it opened.
      const key = start === 0 ? member.filterKey : `${member.filterKey}\n${start}`;
      let chunk = chunks.get(key);
      if (chunk === undefined) {
        chunk = chunkOf(start, member);
        chunks.set(key, chunk);
      }
      if (chunk !== null) member.subscriber.send(chunk);
      if (member.subscriber.backlogBytes() > maxBacklogBytes) overBound = true;
    }
    base += frames.length;
    frames = [];
    events = [];
    pendingBytes = 0;
    if (overBound && !judging) {
      judging = true;
      setImmediate(judge);
    }
  }

  /** After the sockets had their turn: a stream still past the bound stopped reading. */
  function judge(): void {
    judging = false;
    for (const member of members) {
      const bytes = member.subscriber.backlogBytes();
      if (bytes <= maxBacklogBytes) continue;
      remove(member);
      member.subscriber.drop();
      onDrop(bytes);
    }
  }

  function remove(member: Member): void {
    if (!members.delete(member) || members.size > 0) return;
    // The last one left: nothing listens to the hub, no timer runs.
    unsubscribe?.();
    unsubscribe = null;
    if (heartbeat !== null) clearInterval(heartbeat);
    heartbeat = null;
    if (flushTimer !== null) clearTimeout(flushTimer);
    if (flushSoon !== null) clearImmediate(flushSoon);
    flushTimer = null;
    flushSoon = null;
    base += frames.length;
    frames = [];
    events = [];
    pendingBytes = 0;
  }

  return {
    get size() {
      return members.size;
    },
    add(sink, request) {
      // Subscribed (below) in the same synchronous step as the replay is read: the replay holds
      // every event up to hub.lastId, and the member is owed every entry pushed after this one.
      const subscriber = createSubscriber({ hub, sink, since: request.since, filter: request.filter });
      if (closed) {
        // Shutting down: the stream opens, gets its replay, and ends, as every other one did.
        subscriber.end();
        return;
      }
      if (sink.destroyed) return;
      const member: Member = { subscriber, filterKey: request.filterKey, from: base + frames.length };
      members.add(member);
      sink.once('close', () => remove(member));
      unsubscribe ??= hub.subscribe((event) => push(event, eventFrame(event)));
      heartbeat ??= setInterval(() => push(null, sseComment('keep-alive')), heartbeatMs).unref();
    },
    close() {
      closed = true;
      flush();
      unsubscribe?.();
      unsubscribe = null;
      if (heartbeat !== null) clearInterval(heartbeat);
      heartbeat = null;
      for (const member of members) member.subscriber.end();
    },
  };
}
