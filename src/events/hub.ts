/**
 * The one owner of the server's events: numbers them, keeps the newest in a bounded ring for
 * replay, and hands each to the listeners of this process (event stream, server log, metrics,
 * notifications). Emitting costs one small object and a ring slot; listeners run synchronously
 * and must only queue work, never block (a listener that throws is logged, never rethrown).
 */
import { toIsoLocal } from '../records.js';
import type { EventFields, EventType, ServerEvent } from './types.js';

/** Events kept for replay (SPEC §10). */
export const DEFAULT_EVENT_BUFFER = 10_000;

export type EventListener = (event: ServerEvent) => void;

export interface Replay {
  /** The asked-for id is older than the ring: events between it and `events[0]` are lost. */
  reset: boolean;
  /** Why, when reset: `evicted` (older than the ring) or `unknown` (an id of another life of the server). */
  reason?: 'evicted' | 'unknown';
  events: ServerEvent[];
}

export class EventHub {
  private readonly ring: (ServerEvent | undefined)[];
  private readonly listeners = new Set<EventListener>();
  private nextId: number;

  /**
   * @param firstId The id of this life's first event. The supervisor passes its start time in
   * microseconds (see firstEventId), so ids also increase across restarts and a client holding an
   * id of an earlier life is told (reset) instead of silently missing events. @default 1
   */
  constructor(
    readonly capacity = DEFAULT_EVENT_BUFFER,
    private readonly onListenerError: (error: unknown) => void = () => undefined,
    readonly firstId = 1,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`event buffer must hold at least 1 event, got ${capacity}`);
    if (!Number.isSafeInteger(firstId) || firstId < 1) throw new RangeError(`the first event id must be a whole number ≥ 1, got ${firstId}`);
    this.ring = new Array<ServerEvent | undefined>(capacity);
    this.nextId = firstId;
  }

  /** The id of the newest event (firstId − 1 before the first). */
  get lastId(): number {
    return this.nextId - 1;
  }

  /** The id of the oldest event still in the ring (lastId + 1 when empty). */
  get oldestId(): number {
    return Math.max(this.firstId, this.nextId - this.capacity);
  }

  emit<T extends EventType>(type: T, fields: EventFields[T], time = Date.now()): ServerEvent {
    const event = { id: this.nextId++, type, time: toIsoLocal(time), ...fields } as ServerEvent;
    this.ring[event.id % this.capacity] = event;
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.onListenerError(error);
      }
    }
    return event;
  }

  /** Listens to every event from now on; returns the unsubscribe. */
  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  /**
   * Events with an id above `afterId`, oldest first; `reset` when some of them left the ring. 0
   * asks for everything of this life. An id below firstId − 1 comes from an earlier life of the
   * server (its later events are gone), an id above lastId from one whose clock ran ahead: both are
   * a reset, followed by every event still held.
   */
  since(afterId: number): Replay {
    const fromStart = afterId === 0;
    const unknown = afterId > this.lastId || (!fromStart && afterId < this.firstId - 1);
    const from = unknown || fromStart ? this.oldestId : Math.max(afterId + 1, this.oldestId);
    const events: ServerEvent[] = [];
    for (let id = from; id < this.nextId; id++) events.push(this.ring[id % this.capacity]!);
    const evicted = this.oldestId > (fromStart ? this.firstId : afterId + 1);
    if (unknown) return { reset: true, reason: 'unknown', events };
    return evicted ? { reset: true, reason: 'evicted', events } : { reset: false, events };
  }
}

/**
 * The first event id of a server started at `startedAt` (epoch ms): microseconds since the epoch,
 * so a later life starts above every id of an earlier one (it would have to have emitted more than
 * 1 000 events a millisecond on average to catch up), and ids stay exact in a double until 2255.
 */
export function firstEventId(startedAt: number): number {
  return Math.floor(startedAt) * 1000;
}
