/**
 * execution_count and last_triggered change on every run. They live on the job's entry at once
 * (the supervisor answers from there) and reach the registry file at most once a second, so a busy
 * scheduler does not rewrite a large registry for every run.
 */
import type { Registry } from '../registry/index.js';
import type { JobTable } from './job-table.js';

const FLUSH_EVERY_MS = 1000;

export class RunCounters {
  private readonly dirty = new Set<string>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly registry: Registry,
    private readonly table: JobTable,
  ) {}

  markDirty(jobId: string): void {
    this.dirty.add(jobId);
    this.timer ??= setTimeout(() => this.flush(), FLUSH_EVERY_MS);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const id of this.dirty) {
      const job = this.table.get(id);
      if (job && this.registry.has(id)) {
        this.registry.update(id, { execution_count: job.entry.execution_count, last_triggered: job.entry.last_triggered });
      }
    }
    this.dirty.clear();
  }
}
