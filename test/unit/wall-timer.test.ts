import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { setWallTimer } from '../../src/supervisor/wall-timer.js';
import { Fifo } from '../../src/supervisor/fifo.js';

describe('setWallTimer', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: Date.parse('2030-01-01T00:00:00Z') });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fires at the instant', () => {
    const fire = vi.fn();
    setWallTimer(Date.now() + 40_000, fire);
    vi.advanceTimersByTime(39_999);
    expect(fire).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fire).toHaveBeenCalledTimes(1);
  });

  it('follows the wall clock when it jumps forward (suspend), instead of drifting', () => {
    const fire = vi.fn();
    const at = Date.now() + 3600_000;
    setWallTimer(at, fire);
    // The machine sleeps for an hour: the wall clock moves, the timers do not.
    vi.setSystemTime(at + 5);
    vi.advanceTimersByTime(15_000);
    expect(fire).toHaveBeenCalledTimes(1);
  });

  it('does not fire early when the clock jumps back', () => {
    const fire = vi.fn();
    const start = Date.now();
    setWallTimer(start + 30_000, fire);
    vi.setSystemTime(start - 60_000);
    vi.advanceTimersByTime(30_000);
    expect(fire).not.toHaveBeenCalled();
    vi.advanceTimersByTime(60_000);
    expect(fire).toHaveBeenCalledTimes(1);
  });

  it('cancel stops it', () => {
    const fire = vi.fn();
    setWallTimer(Date.now() + 10, fire).cancel();
    vi.advanceTimersByTime(1000);
    expect(fire).not.toHaveBeenCalled();
  });
});

describe('Fifo', () => {
  it('keeps order, removes by identity and skips removed items', () => {
    const q = new Fifo<{ n: number }>();
    const items = Array.from({ length: 5000 }, (_, n) => ({ n }));
    for (const item of items) q.push(item);
    expect(q.remove(items[2]!)).toBe(true);
    expect(q.remove(items[2]!)).toBe(false);
    expect(q.size).toBe(4999);
    const out: number[] = [];
    for (let x = q.shift(); x; x = q.shift()) out.push(x.n);
    expect(out).toEqual(items.filter((_, i) => i !== 2).map((x) => x.n));
    expect(q.size).toBe(0);
  });
});
