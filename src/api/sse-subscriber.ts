/**
 * One client of the event stream, written to its Node response directly: first the replay it
 * asked for (paced by the socket's `drain`, never one buffer), then live chunks that the fan-out
 * (sse-fanout.ts) builds once per flush and hands to every subscriber with the same filter. Its
 * backlog is what the socket has not taken (the response's `writableLength`) plus, while it still
 * replays, the live chunks queued behind the replay; past the bound it is cut off.
 */
import type { ServerResponse } from 'node:http';
import type { EventHub, Replay } from '../events/hub.js';
import type { ServerEvent } from '../events/types.js';
import { toIsoLocal } from '../records.js';
import { sseComment, sseFrame, sseRetry } from './sse.js';

/** Replayed frames go to the socket about this many bytes at a time, each once it has drained. */
const CHUNK_BYTES = 64 * 1024;

/** The client's reconnect delay (the `retry:` field), sent first. */
const RETRY_MS = 1000;

/** What a subscriber needs of its response: node:http's ServerResponse has all of it. */
export type SubscriberSink = Pick<ServerResponse, 'write' | 'end' | 'destroy' | 'once' | 'writableLength' | 'writableEnded' | 'destroyed'>;

export interface SubscriberOptions {
  hub: EventHub;
  sink: SubscriberSink;
  /** Replay the events after this id first; null: live events only. */
  since: number | null;
  filter: (event: ServerEvent) => boolean;
}

export interface Subscriber {
  readonly filter: (event: ServerEvent) => boolean;
  /** Bytes not yet taken by the socket, counting live chunks queued behind the replay. */
  backlogBytes(): number;
  /** A live chunk (frames after the replay, in order): written now, or queued behind the replay. */
  send(chunk: Buffer): void;
  /** Ends the stream once the replay and what is queued have been written (shutdown). */
  end(): void;
  /** Cuts the connection at once, without sending what is queued (a client that stopped reading). */
  drop(): void;
}

/**
 * Sent first when the asked-for id is not in the ring: events after it were lost (`evicted`: older
 * than the buffer) or it came from another life of the server (`unknown`; see EventHub.since).
 * It has no `id:`, so a client's Last-Event-ID stays where it was.
 */
function resetFrame(hub: EventHub, since: number, reason: Replay['reason']): Buffer {
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

/**
 * Writes the head (and starts the replay) at once: the client sees the stream open before the
 * first event. The caller must hand it every live event after `hub.lastId` as it is now.
 */
export function createSubscriber(options: SubscriberOptions): Subscriber {
  const { hub, sink, filter } = options;
  const replay = options.since === null ? { reset: false, events: [] } : hub.since(options.since);
  let replayAt = 0;
  /** Live chunks that arrived while the replay was still being written. */
  const queue: Buffer[] = [];
  let queuedBytes = 0;
  let catchingUp = replay.events.length > 0;
  let ending = false;

  const head = [sseRetry(RETRY_MS), sseComment(`mxx events, last id ${hub.lastId}`)];
  if (replay.reset && options.since !== null) head.push(resetFrame(hub, options.since, replay.reason));
  sink.write(Buffer.concat(head));

  const open = (): boolean => !sink.destroyed && !sink.writableEnded;

  /** The next replay chunk of about CHUNK_BYTES, then the queued live chunks; null when all is out. */
  function take(): Buffer | null {
    const parts: Buffer[] = [];
    let size = 0;
    while (replayAt < replay.events.length && size < CHUNK_BYTES) {
      const event = replay.events[replayAt++]!;
      if (!filter(event)) continue;
      const frame = eventFrame(event);
      parts.push(frame);
      size += frame.byteLength;
    }
    if (replayAt >= replay.events.length) {
      while (queue.length > 0 && size < CHUNK_BYTES) {
        const chunk = queue.shift()!;
        queuedBytes -= chunk.byteLength;
        parts.push(chunk);
        size += chunk.byteLength;
      }
    }
    return parts.length === 0 ? null : parts.length === 1 ? parts[0]! : Buffer.concat(parts, size);
  }

  /** Writes the replay and the queue behind it, a chunk per drain, then goes live. */
  function pump(): void {
    while (open()) {
      const chunk = take();
      if (chunk === null) {
        catchingUp = false;
        if (ending) sink.end();
        return;
      }
      if (!sink.write(chunk)) {
        sink.once('drain', pump);
        return;
      }
    }
  }
  if (catchingUp) pump();

  return {
    filter,
    backlogBytes: () => queuedBytes + sink.writableLength,
    send(chunk) {
      if (ending || !open()) return;
      if (!catchingUp) {
        // Written whatever write() answers: the socket's unsent bytes are the backlog, judged by
        // the fan-out after the socket had its turn.
        sink.write(chunk);
        return;
      }
      queue.push(chunk);
      queuedBytes += chunk.byteLength;
    },
    end() {
      if (ending) return;
      ending = true;
      if (!catchingUp && open()) sink.end();
    },
    drop() {
      queue.length = 0;
      queuedBytes = 0;
      sink.destroy();
    },
  };
}

/** An event's frame: `id:`, `event:` and its JSON as one `data:` line. */
export function eventFrame(event: ServerEvent): Buffer {
  return sseFrame(event.type, JSON.stringify(event), event.id);
}
