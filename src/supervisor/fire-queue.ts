/**
 * One wall-clock timer for every job's armed fire. A timer per job cost ~0.5 KB each (a Timeout,
 * two closures and their contexts) and, with 100 000 jobs, 6 000 wake-ups a second (each slept in
 * 15 s chunks); here the armed fires sit in a binary heap by instant and one timer sleeps until the
 * earliest, in the same chunks, re-reading Date.now() on every wake as setWallTimer does, so a fire
 * still follows the wall clock across a suspend or a clock change. Fires due at one instant go off in
 * the order they were armed.
 */
import type { Job } from './types.js';
import { MAX_CHUNK_MS, type WallTimer } from './wall-timer.js';

/** One armed fire: its place in the heap, and cancel() to take it out. */
class ArmedFire implements WallTimer {
  /** Index in the heap; -1 once it went off or was cancelled. */
  slot = -1;
  constructor(
    private readonly queue: FireQueue,
    readonly at: number,
    readonly seq: number,
    readonly job: Job,
  ) {}

  cancel(): void {
    this.queue.remove(this);
  }
}

export interface FireQueueOptions {
  /** Called with the job and the instant it was armed for, once that instant has come. */
  onDue(job: Job, at: number): void;
  /** An onDue that threw (the other fires of the wake still go off). */
  onError(error: unknown): void;
  /** @default Date.now */
  now?: () => number;
}

export class FireQueue {
  private readonly heap: ArmedFire[] = [];
  private seq = 0;
  private handle: NodeJS.Timeout | undefined;
  /** When the pending timeout wakes (Infinity: none pending). */
  private wakeAt = Infinity;
  private readonly now: () => number;

  constructor(private readonly options: FireQueueOptions) {
    this.now = options.now ?? (() => Date.now());
  }

  get size(): number {
    return this.heap.length;
  }

  /** Arms `job` for the instant `at` (epoch ms); cancel() the returned timer to take it back. */
  add(job: Job, at: number): WallTimer {
    const fire = new ArmedFire(this, at, this.seq++, job);
    fire.slot = this.heap.length;
    this.heap.push(fire);
    this.up(fire.slot);
    // A later fire is found by the pending wake-up; only an earlier one needs a sooner one.
    if (fire.slot === 0 && at < this.wakeAt) this.wake();
    return fire;
  }

  /** Takes a fire out (nothing if it already went off or was cancelled). */
  remove(fire: ArmedFire): void {
    const i = fire.slot;
    if (i < 0 || this.heap[i] !== fire) return;
    fire.slot = -1;
    const last = this.heap.pop()!;
    if (last !== fire) {
      this.heap[i] = last;
      last.slot = i;
      this.down(i);
      this.up(i);
    }
    // Waking early for a fire no longer there is harmless: the wake-up looks again.
    if (this.heap.length === 0) this.sleep();
  }

  /** Cancels every armed fire and the timer. */
  clear(): void {
    for (const fire of this.heap) fire.slot = -1;
    this.heap.length = 0;
    this.sleep();
  }

  private readonly tick = (): void => {
    this.handle = undefined;
    this.wakeAt = Infinity;
    for (;;) {
      const top = this.heap[0];
      // Below 1 ms another setTimeout would add a whole millisecond of lateness.
      if (!top || top.at - this.now() >= 1) break;
      this.remove(top);
      try {
        this.options.onDue(top.job, top.at);
      } catch (error) {
        this.options.onError(error);
      }
    }
    if (this.heap.length > 0 && this.handle === undefined) this.wake();
  };

  private wake(): void {
    const top = this.heap[0];
    if (!top) return;
    if (this.handle) clearTimeout(this.handle);
    const now = this.now();
    const delay = Math.max(0, Math.min(top.at - now, MAX_CHUNK_MS));
    this.wakeAt = now + delay;
    this.handle = setTimeout(this.tick, delay);
  }

  private sleep(): void {
    if (this.handle) clearTimeout(this.handle);
    this.handle = undefined;
    this.wakeAt = Infinity;
  }

  private before(a: ArmedFire, b: ArmedFire): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private up(i: number): void {
    const { heap } = this;
    const item = heap[i]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(item, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      heap[i]!.slot = i;
      i = parent;
    }
    heap[i] = item;
    item.slot = i;
  }

  private down(i: number): void {
    const { heap } = this;
    const item = heap[i]!;
    const n = heap.length;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && this.before(heap[right]!, heap[left]!) ? right : left;
      if (!this.before(heap[child]!, item)) break;
      heap[i] = heap[child]!;
      heap[i]!.slot = i;
      i = child;
    }
    heap[i] = item;
    item.slot = i;
  }
}
