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
  events: ServerEvent[];
}

export class EventHub {
  private readonly ring: (ServerEvent | undefined)[];
  private readonly listeners = new Set<EventListener>();
  private nextId = 1;

  constructor(
    readonly capacity = DEFAULT_EVENT_BUFFER,
    private readonly onListenerError: (error: unknown) => void = () => undefined,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`event buffer must hold at least 1 event, got ${capacity}`);
    this.ring = new Array<ServerEvent | undefined>(capacity);
  }

  /** The id of the newest event (0 before the first). */
  get lastId(): number {
    return this.nextId - 1;
  }

  /** The id of the oldest event still in the ring (lastId + 1 when empty). */
  get oldestId(): number {
    return Math.max(1, this.nextId - this.capacity);
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
   * Events with an id above `afterId`, oldest first; `reset` when some of them left the ring. An id
   * above lastId was handed out by an earlier life of the server (ids start at 1 at each start):
   * that is a reset too, followed by every event still held.
   */
  since(afterId: number): Replay {
    const unknown = afterId > this.lastId;
    const from = unknown ? this.oldestId : Math.max(afterId + 1, this.oldestId);
    const events: ServerEvent[] = [];
    for (let id = from; id < this.nextId; id++) events.push(this.ring[id % this.capacity]!);
    return { reset: unknown || afterId + 1 < this.oldestId, events };
  }
}
