import { describe, expect, it } from 'vitest';
import { EventHub, firstEventId } from '../../src/events/hub.js';

const job = (id: string) => ({ job_id: id, stopped: 0 });

describe('EventHub', () => {
  it('numbers events from 1 upwards and hands each to every listener', () => {
    const hub = new EventHub(10);
    const seen: number[] = [];
    const off = hub.subscribe((e) => seen.push(e.id));
    hub.emit('job.paused', job('a'));
    hub.emit('job.paused', job('b'));
    off();
    hub.emit('job.paused', job('c'));
    expect(seen).toEqual([1, 2]);
    expect(hub.lastId).toBe(3);
  });

  it('replays the events after an id, oldest first, without a reset while they are all held', () => {
    const hub = new EventHub(5);
    for (const id of ['a', 'b', 'c']) hub.emit('job.paused', job(id));
    expect(hub.since(1)).toMatchObject({ reset: false, events: [{ id: 2, job_id: 'b' }, { id: 3, job_id: 'c' }] });
    expect(hub.since(3)).toEqual({ reset: false, events: [] });
    expect(hub.since(0).events.map((e) => e.id)).toEqual([1, 2, 3]);
  });

  it('says reset when the asked-for events have left the ring, and replays what is held', () => {
    const hub = new EventHub(3);
    for (let i = 0; i < 7; i++) hub.emit('job.paused', job(`j${i}`));
    // Held: 5, 6, 7. After 4 nothing is lost; after 3, event 4 is.
    expect(hub.since(4)).toMatchObject({ reset: false, events: [{ id: 5 }, { id: 6 }, { id: 7 }] });
    expect(hub.since(3)).toMatchObject({ reset: true, events: [{ id: 5 }, { id: 6 }, { id: 7 }] });
  });

  it('treats an id from an earlier life of the server (above lastId) as a reset', () => {
    const hub = new EventHub(3);
    hub.emit('job.paused', job('a'));
    expect(hub.since(500)).toMatchObject({ reset: true, events: [{ id: 1 }] });
  });

  it('keeps going when a listener throws, and reports it', () => {
    const errors: unknown[] = [];
    const hub = new EventHub(3, (error) => errors.push(error));
    const seen: string[] = [];
    hub.subscribe(() => {
      throw new Error('boom');
    });
    hub.subscribe((e) => seen.push(e.type));
    hub.emit('server.stopping', { running: [], runs: [] });
    expect(seen).toEqual(['server.stopping']);
    expect(errors).toHaveLength(1);
  });

  it('continues the ids of an earlier life: its ids are a reset, 0 replays this life without one', () => {
    const first = firstEventId(Date.parse('2026-12-02T10:00:00Z'));
    const hub = new EventHub(5, undefined, first);
    hub.emit('job.paused', job('a'));
    hub.emit('job.paused', job('b'));
    expect(hub.lastId).toBe(first + 1);
    // A client of the previous life held an id a little below this life's first.
    expect(hub.since(first - 50)).toMatchObject({ reset: true, events: [{ id: first }, { id: first + 1 }] });
    expect(hub.since(0)).toMatchObject({ reset: false, events: [{ id: first }, { id: first + 1 }] });
    expect(hub.since(first)).toMatchObject({ reset: false, events: [{ id: first + 1 }] });
    expect(firstEventId(Date.parse('2026-12-02T10:00:00.001Z'))).toBeGreaterThan(first + 999);
  });
});
