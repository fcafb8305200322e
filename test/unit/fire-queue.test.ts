/**
 * The supervisor's one timer for every armed fire (src/supervisor/fire-queue.ts): fires at the
 * instant on the wall clock, in arm order for one instant, cancel, and one timer however many
 * jobs are armed.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FireQueue } from '../../src/supervisor/fire-queue.js';
import type { Job } from '../../src/supervisor/types.js';

const job = (id: string): Job => ({ id }) as unknown as Job;

function queue(): { q: FireQueue; fired: string[]; errors: unknown[] } {
  const fired: string[] = [];
  const errors: unknown[] = [];
  const q = new FireQueue({ onDue: (j) => fired.push(j.id), onError: (error) => errors.push(error) });
  return { q, fired, errors };
}

describe('FireQueue', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: Date.parse('2030-01-01T00:00:00Z') });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fires each job at its instant, earliest first, with the instant it was armed for', () => {
    const seen: Array<[string, number]> = [];
    const q = new FireQueue({ onDue: (j, at) => seen.push([j.id, at]), onError: () => undefined });
    const t0 = Date.now();
    q.add(job('late'), t0 + 40_000);
    q.add(job('early'), t0 + 1_000);
    vi.advanceTimersByTime(999);
    expect(seen).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(seen).toEqual([['early', t0 + 1_000]]);
    vi.advanceTimersByTime(38_999);
    expect(seen).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(seen).toEqual([
      ['early', t0 + 1_000],
      ['late', t0 + 40_000],
    ]);
    expect(q.size).toBe(0);
  });

  it('fires jobs due at one instant in the order they were armed', () => {
    const { q, fired } = queue();
    const at = Date.now() + 5_000;
    const ids = Array.from({ length: 50 }, (_, i) => `j${i}`);
    for (const id of ids) q.add(job(id), at);
    vi.advanceTimersByTime(5_000);
    expect(fired).toEqual(ids);
  });

  it('keeps one timer pending however many fires are armed', () => {
    const { q } = queue();
    for (let i = 0; i < 1000; i++) q.add(job(`j${i}`), Date.now() + 60_000 + ((i * 7919) % 100_000));
    expect(q.size).toBe(1000);
    expect(vi.getTimerCount()).toBe(1);
    q.clear();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('cancel takes a fire out, and only that one', () => {
    const { q, fired } = queue();
    const at = Date.now() + 2_000;
    const a = q.add(job('a'), at);
    q.add(job('b'), at + 1);
    const c = q.add(job('c'), at + 2);
    a.cancel();
    c.cancel();
    c.cancel();
    vi.advanceTimersByTime(3_000);
    expect(fired).toEqual(['b']);
  });

  it('a fire armed from a firing handler goes off at its own instant', () => {
    const fired: number[] = [];
    const q: FireQueue = new FireQueue({
      onDue: (_j, at) => {
        fired.push(at);
        if (fired.length < 3) q.add(job('again'), at + 1_000);
      },
      onError: () => undefined,
    });
    const t0 = Date.now();
    q.add(job('again'), t0 + 1_000);
    vi.advanceTimersByTime(10_000);
    expect(fired).toEqual([t0 + 1_000, t0 + 2_000, t0 + 3_000]);
  });

  it('follows the wall clock when it jumps forward (suspend), instead of drifting', () => {
    const { q, fired } = queue();
    const at = Date.now() + 3600_000;
    q.add(job('a'), at);
    vi.setSystemTime(at + 5);
    vi.advanceTimersByTime(15_000);
    expect(fired).toEqual(['a']);
  });

  it('does not fire early when the clock jumps back', () => {
    const { q, fired } = queue();
    const start = Date.now();
    q.add(job('a'), start + 30_000);
    vi.setSystemTime(start - 60_000);
    vi.advanceTimersByTime(30_000);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(60_000);
    expect(fired).toEqual(['a']);
  });

  it('a handler that throws is reported, and the other fires of that instant still go off', () => {
    const fired: string[] = [];
    const errors: unknown[] = [];
    const q = new FireQueue({
      onDue: (j) => {
        fired.push(j.id);
        if (j.id === 'bad') throw new Error('boom');
      },
      onError: (error) => errors.push(error),
    });
    const at = Date.now() + 100;
    q.add(job('bad'), at);
    q.add(job('good'), at);
    vi.advanceTimersByTime(100);
    expect(fired).toEqual(['bad', 'good']);
    expect(String(errors[0])).toContain('boom');
  });

  it('an earlier fire armed while the timer sleeps towards a later one still goes off on time', () => {
    const { q, fired } = queue();
    const t0 = Date.now();
    q.add(job('later'), t0 + 14_000);
    vi.advanceTimersByTime(1_000);
    q.add(job('sooner'), t0 + 2_000);
    vi.advanceTimersByTime(1_000);
    expect(fired).toEqual(['sooner']);
  });
});
