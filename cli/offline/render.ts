/** The offline view as a table: each job file with its schedule, next fires and whether it loads. */
import { basename } from 'node:path';
import { JOB_FILE_EXTENSIONS } from '../../src/job/file-format.js';
import type { Colors } from '../format/color.js';
import { loadErrorLines } from '../format/load-error.js';
import { describeSchedule } from '../format/schedule.js';
import { renderTable } from '../format/table.js';
import { formatAbsolute, formatWhen } from '../format/time.js';
import type { OfflineJob, OfflineListBody } from './jobs-folder.js';

const FROM_NOW_MARK = '~';
const FROM_NOW_FOOTNOTE = `${FROM_NOW_MARK} counted from now: the server counts an interval from when it registered the job`;

/** `in 4m 10s (2026-05-01 10:30), 10:35, 10:40`: a later fire on the same day shows its time only. */
export function describeFires(fires: readonly string[], now: number): string {
  if (fires.length === 0) return '-';
  const withSeconds = fires.some((iso) => new Date(iso).getSeconds() !== 0);
  let day = '';
  return fires
    .map((iso, i) => {
      const text = formatAbsolute(iso, withSeconds);
      const [date = '', time = ''] = text.split(' ');
      const shown = i === 0 ? formatWhen(iso, now, withSeconds) : date === day ? time : text;
      day = date;
      return shown;
    })
    .join(', ');
}

function row(job: OfflineJob, c: Colors, now: number): string[] {
  const fires = describeFires(job.next, now);
  return [
    job.job_id === null ? c.red('-') : c.bold(job.job_id),
    basename(job.file),
    job.valid ? describeSchedule(job.schedule) : '-',
    job.counted_from_now && job.next.length > 0 ? `${fires} ${c.yellow(FROM_NOW_MARK)}` : fires,
    job.valid ? c.green('valid') : c.red('invalid'),
  ];
}

export interface OfflineViewOptions {
  /** What to say when `jobs` is empty (a filtered listing). @default no job files */
  empty?: string;
  now?: number;
}

/** The header names the folder; problems and notes follow the table. */
export function renderOfflineView(body: OfflineListBody, jobs: readonly OfflineJob[], c: Colors, options: OfflineViewOptions = {}): string {
  const { empty = `no job files (${JOB_FILE_EXTENSIONS})`, now = Date.now() } = options;
  const lines = [c.bold(`offline view of ${body.jobs_dir}`)];
  if (!body.exists) return [...lines, 'the folder does not exist (mxx server creates it on its first start)'].join('\n') + '\n';
  if (jobs.length === 0) return [...lines, empty].join('\n') + '\n';
  lines.push(renderTable(['JOB', 'FILE', 'SCHEDULE', 'NEXT FIRES', 'VALID'], jobs.map((job) => row(job, c, now)), c).trimEnd());
  const broken = jobs.filter((job) => job.load_error !== undefined);
  if (broken.length > 0) {
    lines.push('', `${broken.length === 1 ? 'this file does' : 'these files do'} not load:`);
    for (const job of broken) for (const text of loadErrorLines(job.load_error!)) lines.push(`  ${c.red(text)}`);
  }
  if (jobs.some((job) => job.counted_from_now && job.next.length > 0)) lines.push(FROM_NOW_FOOTNOTE);
  return lines.join('\n') + '\n';
}
