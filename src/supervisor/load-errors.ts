/**
 * Job files that failed to load: by file, for /health, and on the registry entry of a job whose
 * last good definition stays active (`load_error`).
 */
import type { Registry } from '../registry/index.js';
import type { JobTable } from './job-table.js';

export interface LoadError {
  file: string;
  jobId: string | null;
  error: string;
}

export class LoadErrors {
  private readonly byFile = new Map<string, LoadError>();

  constructor(
    private readonly registry: Registry,
    private readonly table: JobTable,
  ) {}

  set(file: string, jobId: string | null, error: string): void {
    this.byFile.set(file, { file, jobId, error });
    const entry = jobId === null ? undefined : this.registry.get(jobId);
    if (entry && entry.source === 'file' && entry.file === file && entry.load_error !== error) {
      this.registry.update(entry.job_id, { load_error: error });
      const job = this.table.get(entry.job_id);
      if (job) job.entry.load_error = error;
    }
  }

  clear(file: string): void {
    const known = this.byFile.get(file);
    this.byFile.delete(file);
    const entry = known?.jobId ? this.registry.get(known.jobId) : undefined;
    if (entry?.load_error !== undefined && entry.file === file) {
      this.registry.update(entry.job_id, { load_error: undefined });
      const job = this.table.get(entry.job_id);
      if (job) delete job.entry.load_error;
    }
  }

  get(file: string): LoadError | undefined {
    return this.byFile.get(file);
  }

  list(): LoadError[] {
    return [...this.byFile.values()];
  }
}
