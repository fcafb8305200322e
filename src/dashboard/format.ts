/** Words and times as the CLI prints them (one rule for both), and the run statuses' labels. */
export { describeSchedule } from '../../cli/format/schedule.js';
export { formatAbsolute, formatDuration, formatRelative, formatSpan } from '../../cli/format/time.js';

const LABELS: Record<string, string> = {
  pending: 'pending',
  running: 'running',
  queued: 'queued',
  completed: 'completed',
  failed: 'failed',
  timed_out: 'timed out',
  cancelled: 'cancelled',
  skipped: 'skipped',
  missed: 'missed',
  interrupted: 'interrupted',
};

export const statusLabel = (status: string): string => LABELS[status] ?? status;

/** Statuses a user filters by, in the order a list shows them. */
export const STATUSES = ['running', 'pending', 'completed', 'failed', 'timed_out', 'cancelled', 'skipped', 'interrupted'] as const;

/** "config:backup.toml" → "backup.toml"; "api" stays. */
export const sourceLabel = (source: string): string => (source.startsWith('config:') ? source.slice('config:'.length) : source);
