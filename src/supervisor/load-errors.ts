/**
 * Job files that failed to load: by file, for /health, and on the registry entry of a job whose
 * last good definition stays active (`load_error`). The job's entry shows it once it is saved.
 */
import type { EventHub } from '../events/hub.js';
import type { RegistryEntry } from '../records.js';
import type { Registry } from '../registry/index.js';
import type { JobTable } from './job-table.js';
import { isOwnJobOfFile } from './file-owner.js';
import { touch } from './types.js';

export interface LoadError {
  file: string;
  jobId: string | null;
  error: string;
  /** Where in the file, 1-based, when the parser says (syntax errors). */
  line?: number;
  column?: number;
  /** The file itself is fine: its change could not be saved (full or read-only disk), so it is retried. */
  transient?: boolean;
}

export type LoadErrorOptions = Pick<LoadError, 'transient' | 'line' | 'column'>;

export class LoadErrors {
  private readonly byFile = new Map<string, LoadError>();

  constructor(
    private readonly registry: Registry,
    private readonly table: JobTable,
    private readonly events: EventHub,
    /** This server's node id on a shared store (null on one server): whose file entries are its own. */
    private readonly self: string | null = null,
  ) {}

  set(file: string, jobId: string | null, error: string, { transient = false, line, column }: LoadErrorOptions = {}): void {
    const before = this.byFile.get(file);
    this.byFile.set(file, { file, jobId, error, ...(line === undefined ? {} : { line, column: column ?? 1 }), ...(transient ? { transient } : {}) });
    // Once per error: the watcher's retries of a transient one say nothing new.
    if (before?.error !== error) {
      this.touchJobOf(file, jobId);
      this.events.emit('file.error', { file, ...(jobId === null ? {} : { job_id: jobId }), error, ...(transient ? { transient } : {}) });
    }
    const entry = jobId === null ? undefined : this.registry.get(jobId);
    if (entry && isOwnJobOfFile(entry, file, this.self) && entry.load_error !== error) {
      this.afterSaving(this.registry.update(entry.job_id, { load_error: error }), entry.job_id, file, (live) => (live.load_error = error));
    }
  }

  clear(file: string): void {
    const known = this.byFile.get(file);
    this.byFile.delete(file);
    if (known) {
      this.touchJobOf(file, known.jobId);
      this.events.emit('file.fixed', { file, ...(known.jobId === null ? {} : { job_id: known.jobId }) });
    }
    const entry = known?.jobId ? this.registry.get(known.jobId) : undefined;
    if (entry?.load_error !== undefined && isOwnJobOfFile(entry, file, this.self)) {
      this.afterSaving(this.registry.update(entry.job_id, { load_error: undefined }), entry.job_id, file, (live) => delete live.load_error);
    }
  }

  get(file: string): LoadError | undefined {
    return this.byFile.get(file);
  }

  list(): LoadError[] {
    return [...this.byFile.values()];
  }

  /** The job's status shows its file's load error (JobView.loadError): a cached listing of it is stale. */
  private touchJobOf(file: string, jobId: string | null): void {
    const job = jobId === null ? undefined : this.table.get(jobId);
    if (job?.entry.file === file) touch(job);
  }

  /** Applies `change` to the job's live entry once `saved` resolved (a change not saved stays unseen, as before). */
  private afterSaving(saved: Promise<unknown>, jobId: string, file: string, change: (entry: RegistryEntry) => void): void {
    saved.then(
      () => {
        const job = this.table.get(jobId);
        if (job && isOwnJobOfFile(job.entry, file, this.self)) change(job.entry);
      },
      () => undefined,
    );
  }
}
