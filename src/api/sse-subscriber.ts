/**
 * One client of the event stream: what it is owed (the replay it asked for, then live events) and
 * the bytes waiting for it. The hub's listener only filters and queues an already-serialized
 * frame; the socket pulls when it can take more (h3's Node adapter waits for `drain`), so a slow
 * client never slows the emitter. A client whose queue passes `maxBacklogBytes` is dropped.
 */
import type { EventHub, Replay } from '../events/hub.js';
import type { ServerEvent } from '../events/types.js';
import { toIsoLocal } from '../records.js';
import { sseComment, sseFrame, sseRetry } from './sse.js';

/**
 * Frames go to the socket a chunk of about this size at a time, as it takes them: a 10 000-event
 * replay is never one buffer, and a stalled socket holds at most one chunk beyond the counted queue.
 */
const CHUNK_BYTES = 64 * 1024;
/** A subscriber's socket gets at most one write per this many ms (see nudge). */
const FLUSH_MS = 50;

/** The client's reconnect delay (the `retry:` field), sent first. */
const RETRY_MS = 1000;

export interface SubscriberOptions {
  hub: EventHub;
  /** Replay the events after this id first; null: live events only. */
  since: number | null;
  filter: (event: ServerEvent) => boolean;
  maxBacklogBytes: number;
  /** The event's frame, serialized once for every subscriber (see createFrameCache). */
  frameOf: (event: ServerEvent) => Uint8Array;
  /** The client stopped reading and was cut off with `bytes` queued. */
  onDrop: (bytes: number) => void;
  /** Called once, however the stream ended (client gone, dropped, shutdown). */
  onClose: () => void;
}

export interface Subscriber {
  readonly stream: ReadableStream<Uint8Array>;
  /** Queues a comment line (the heartbeat). */
  comment(text: string): void;
  /** Ends the stream once what is queued has been sent (shutdown); no event after this one. */
  end(): void;
}

/**
 * Sent first when the asked-for id is not in the ring: events after it were lost (`evicted`: older
 * than the buffer) or it came from another life of the server (`unknown`; see EventHub.since).
 * It has no `id:`, so a client's Last-Event-ID stays where it was.
 */
function resetFrame(hub: EventHub, since: number, reason: Replay['reason']): Uint8Array {
  const data = {
    type: 'reset',
    time: toIsoLocal(Date.now()),
    reason,
    requested_id: since,
    oldest_id: hub.oldestId,
    last_id: hub.lastId,
  };
  return sseFrame('reset', JSON.stringify(data));
}

export function createSubscriber(options: SubscriberOptions): Subscriber {
  const { hub, filter, frameOf, maxBacklogBytes } = options;
  const queue: Uint8Array[] = [];
  let queuedBytes = 0;
  let state: 'open' | 'ending' | 'closed' = 'open';
  let wake: (() => void) | null = null;
  let flushTimer: NodeJS.Timeout | null = null;
  let lastWake = Number.NEGATIVE_INFINITY;
  let checking = false;
  let controller!: ReadableStreamDefaultController<Uint8Array>;

  // Subscribed before the ring is read, and no emit can run between the two (both synchronous);
  // `lastSeen` still drops anything at or below the replay's end, so no event is sent twice.
  const unsubscribe = hub.subscribe(onEvent);
  const replay = options.since === null ? { reset: false, events: [] } : hub.since(options.since);
  let replayAt = 0;
  let lastSeen = hub.lastId;
  const head = [sseRetry(RETRY_MS), sseComment(`mxx events, last id ${hub.lastId}`)];
  if (replay.reset && options.since !== null) head.push(resetFrame(hub, options.since, replay.reason));

  function onEvent(event: ServerEvent): void {
    if (event.id <= lastSeen) return;
    lastSeen = event.id;
    if (filter(event)) push(frameOf(event));
  }

  function push(frame: Uint8Array): void {
    if (state !== 'open') return;
    queue.push(frame);
    queuedBytes += frame.byteLength;
    // Judged once the socket has had its turn: a burst emitted in one tick (a clock jump's misses)
    // must not cut off a client that reads, only one that still has not taken it afterwards.
    if (queuedBytes > maxBacklogBytes && !checking) {
      // Past the bound: flushed at once, and judged after the socket had that turn.
      checking = true;
      nudge(true);
      setImmediate(checkBacklog);
      return;
    }
    nudge();
  }

  function checkBacklog(): void {
    checking = false;
    if (state !== 'open' || queuedBytes <= maxBacklogBytes) return;
    const bytes = queuedBytes;
    close();
    options.onDrop(bytes);
    // An error, not a close: a close would wait for the client to read what is queued. The
    // adapter destroys the connection on it.
    controller.error(new Error(`event stream subscriber dropped with ${bytes} bytes unsent`));
  }

  /**
   * Wakes the waiting pull, at most once per FLUSH_MS: an event after a quiet moment goes out on
   * the next turn of the event loop (with whatever else that turn emitted), and while events keep
   * coming they go out together every FLUSH_MS, a few socket writes a second, not one each. Each
   * write costs the server more than the bytes in it (a write per event cost the scheduler ~10 % of
   * its spawn rate with 10 subscribers; one per 20 ms still ~5 %). A close or the end wakes it at once.
   */
  function nudge(now = false): void {
    if (wake === null) return;
    if (now) {
      if (flushTimer !== null) clearTimeout(flushTimer);
      flushTimer = null;
      wakeNow();
      return;
    }
    if (flushTimer !== null) return;
    flushTimer = setTimeout(() => {
      flushTimer = null;
      wakeNow();
    }, Math.max(0, lastWake + FLUSH_MS - performance.now()));
  }

  function wakeNow(): void {
    const resolve = wake;
    wake = null;
    lastWake = performance.now();
    resolve?.();
  }

  function close(): void {
    if (state === 'closed') return;
    state = 'closed';
    unsubscribe();
    queue.length = 0;
    queuedBytes = 0;
    nudge(true);
    options.onClose();
  }

  /**
   * The next chunk to send, at most about CHUNK_BYTES: replayed events first, then what is queued;
   * null when there is none. What the socket has not taken stays in `queue`, where it is counted.
   */
  function take(): Uint8Array | null {
    const parts: Uint8Array[] = [];
    let size = 0;
    while (replayAt < replay.events.length && size < CHUNK_BYTES) {
      const event = replay.events[replayAt++]!;
      if (!filter(event)) continue;
      const frame = frameOf(event);
      parts.push(frame);
      size += frame.byteLength;
    }
    if (replayAt >= replay.events.length) {
      let count = 0;
      while (count < queue.length && size < CHUNK_BYTES) {
        const frame = queue[count++]!;
        parts.push(frame);
        size += frame.byteLength;
        queuedBytes -= frame.byteLength;
      }
      queue.splice(0, count);
    }
    return parts.length === 0 ? null : parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  const stream = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
        // Sent at once: the client (and any proxy) sees the stream open before the first event.
        controller.enqueue(Buffer.concat(head));
      },
      async pull(c) {
        while (state !== 'closed') {
          const chunk = take();
          if (chunk) {
            c.enqueue(chunk);
            return;
          }
          if (state === 'ending') {
            close();
            c.close();
            return;
          }
          await new Promise<void>((resolve) => (wake = resolve));
        }
      },
      cancel: close,
    },
    // Pulled only when the socket asks for more: the backlog stays in `queue`, where it is counted.
    { highWaterMark: 0 },
  );

  return {
    stream,
    comment(text) {
      push(sseComment(text));
    },
    end() {
      if (state !== 'open') return;
      // Events already queued still go out; nothing after this (server.stopping came before).
      unsubscribe();
      state = 'ending';
      nudge(true);
    },
  };
}

/**
 * The frame of an event, serialized once however many subscribers send it: the hub hands one
 * event to every listener in turn, so the latest frame is the one asked for again.
 */
export function createFrameCache(): (event: ServerEvent) => Uint8Array {
  let cached: ServerEvent | null = null;
  let frame: Uint8Array = new Uint8Array(0);
  return (event) => {
    if (event !== cached) {
      frame = sseFrame(event.type, JSON.stringify(event), event.id);
      cached = event;
    }
    return frame;
  };
}
