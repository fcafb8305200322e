/** The line that ends `mxx trigger --wait` and `mxx logs --follow`: how the run ended. */
import type { RunRecord, RunStatus } from '../../src/records.js';
import { colorStatus, type Colors } from './color.js';
import { formatDuration } from './time.js';

/** A run in one of these states may still change; every other state is its last. */
export function isFinalStatus(status: RunStatus): boolean {
  return status !== 'running' && status !== 'queued';
}

/** `run <id> of <job> completed: exit code 0, 1.2s`, with the record's error when it adds something. */
export function formatRunEnd(record: RunRecord, colors: Colors): string {
  const facts: string[] = [];
  if (record.exit_code !== null) facts.push(`exit code ${record.exit_code}`);
  else if (record.signal) facts.push(`signal ${record.signal}`);
  if (record.duration_ms !== null) facts.push(formatDuration(record.duration_ms));
  // "exited with code 3" only repeats the exit code.
  const error = record.error && record.error !== `exited with code ${record.exit_code}` ? ` (${record.error})` : '';
  return `run ${record.run_id} of ${colors.bold(record.job_id)} ${colorStatus(colors, record.status)}${facts.length > 0 ? `: ${facts.join(', ')}` : ''}${error}`;
}
