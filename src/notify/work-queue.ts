/**
 * Bounded concurrency for deliveries: at most `maxInFlight` tasks at once, at most `maxQueued`
 * waiting, in arrival order. Tasks start on a later turn of the event loop, never inside the
 * caller (an event listener, maybe a child's exit handler: STACK.md's spawn hazard).
 */
export type Task = () => Promise<void>;

export class WorkQueue {
  private readonly waiting: Task[] = [];
  private running = 0;
  private pumpPlanned = false;

  constructor(
    private readonly maxInFlight: number,
    private readonly maxQueued: number,
    /** A task that rejected (a bug: tasks handle their own failures). */
    private readonly onTaskError: (error: unknown) => void,
  ) {}

  get inFlight(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Takes the task, or refuses it (false) when the line is full. */
  push(task: Task): boolean {
    // Tasks pushed in this turn that free slots will take at once are not "waiting" for the bound.
    const freeSlots = Math.max(0, this.maxInFlight - this.running);
    if (this.waiting.length >= freeSlots + this.maxQueued) return false;
    this.waiting.push(task);
    this.plan();
    return true;
  }

  /** Drops every task not yet started; returns them (the caller accounts for each). */
  drain(): Task[] {
    return this.waiting.splice(0);
  }

  private plan(): void {
    if (this.pumpPlanned) return;
    this.pumpPlanned = true;
    setImmediate(() => {
      this.pumpPlanned = false;
      this.pump();
    });
  }

  private pump(): void {
    while (this.running < this.maxInFlight) {
      const task = this.waiting.shift();
      if (task === undefined) return;
      this.running++;
      void task()
        .catch((error: unknown) => this.onTaskError(error))
        .finally(() => {
          this.running--;
          if (this.waiting.length > 0) this.plan();
        });
    }
  }
}
