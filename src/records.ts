/** Persistent record shapes (SPEC §4): registry entries and run records. Times are ISO 8601 with offset. */

export type JobSource = 'api' | 'file';

export interface RegistryEntry {
  job_id: string;
  /** The job document's sections as written, without `schedule`. */
  config: Record<string, unknown>;
  /** The schedule section as written; null = on-demand. */
  schedule: Record<string, unknown> | null;
  source: JobSource;
  /** For `source: 'file'`: the absolute path of the job file. */
  file?: string;
  /**
   * For `source: 'file'` on several servers sharing a store: the server whose jobs folder defines
   * the job (its node id); only that server's folder changes or removes it (src/supervisor/file-owner.ts).
   */
  node?: string;
  registered_at: string;
  last_triggered: string | null;
  execution_count: number;
  /** Cancelled schedule (DELETE /jobs/{id}); survives restart until resumed. */
  paused: boolean;
  /** The last load error of the job file (file:line:column and message); absent when it loaded. */
  load_error?: string;
}

export type RunStatus =
  | 'running'
  | 'completed'
  | 'failed'
  | 'timed_out'
  | 'cancelled'
  | 'skipped'
  | 'missed'
  | 'interrupted'
  | 'queued';

export type RunTrigger = 'schedule' | 'manual' | 'retry';

export interface RunRecord {
  run_id: string;
  job_id: string;
  trigger: RunTrigger;
  scheduled_at: string | null;
  started_at: string | null;
  ended_at: string | null;
  status: RunStatus;
  exit_code: number | null;
  signal: string | null;
  pid: number | null;
  duration_ms: number | null;
  error: string | null;
  /** Retry attempt number (0 = first run). */
  attempt: number;
  /** The last few KB of output. */
  output_tail?: string;
  /** Whether the log hit its size cap. */
  log_truncated?: boolean;
  /** The server that ran it (several servers on one PostgreSQL store; absent with the files store). */
  node?: string;
}

/** ISO 8601 with the machine's local offset, e.g. 2026-11-26T20:15:00.000+01:00. */
export function toIsoLocal(epochMs: number): string {
  const d = new Date(epochMs);
  const offsetMin = -d.getTimezoneOffset();
  const sign = offsetMin >= 0 ? '+' : '-';
  const abs = Math.abs(offsetMin);
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}` +
    `T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}` +
    `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}
