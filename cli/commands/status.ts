import { Option } from 'clipanion';
import type { JobStatusBody } from '../../src/api/types.js';
import { ClientCommand } from '../base.js';
import { seg } from '../client.js';
import { colorStatus } from '../format/color.js';
import { loadErrorLines } from '../format/load-error.js';
import { describeSchedule } from '../format/schedule.js';
import { renderFields } from '../format/table.js';
import { formatDuration, formatWhen } from '../format/time.js';

/** Where renderFields starts the values: after the longest key, `load error:`, and a space. */
const FIELD_INDENT = 'load error: '.length;

export default class StatusCommand extends ClientCommand {
  static override paths = [['status']];
  static override usage = ClientCommand.Usage({
    category: 'Jobs',
    description: "Show one job's status",
    details: 'Shows the last run outcome, the schedule, the next fire and the runs in progress.',
    examples: [['Status of a job', '$0 status daily_backup']],
  });

  id = Option.String({ name: 'id' });

  async run(): Promise<number> {
    const { body: j } = await this.client.get<JobStatusBody>(`/jobs/${seg(this.id)}`);
    if (this.printJson(j)) return 0;
    const c = this.colors;
    const last = j.last_run;
    // Several problems of one file: one per line, under the first, then what it means for the job.
    const loadError = j.load_error
      ? [...loadErrorLines(j.load_error).map((text) => c.red(text)), c.yellow('(the job runs its last good definition until the file is fixed)')].join(
          `\n${' '.repeat(FIELD_INDENT)}`,
        )
      : undefined;
    this.out(
      renderFields(
        [
          ['job', c.bold(j.job_id)],
          ['status', colorStatus(c, j.status)],
          ['schedule', describeSchedule(j.schedule) + (j.paused ? c.yellow(' (cancelled: mxx resume to re-arm)') : '')],
          ['next run', formatWhen(j.next_run_time)],
          ['last run', last ? `${last.run_id} ${colorStatus(c, last.status)}, started ${formatWhen(last.started_at ?? last.scheduled_at)}` : '-'],
          ['duration', last ? formatDuration(last.duration_ms) : undefined],
          ['exit code', last?.exit_code != null ? String(last.exit_code) : last?.signal ? `signal ${last.signal}` : undefined],
          ['running', j.running ? c.cyan(j.running_runs.join(', ') || 'yes') : 'no'],
          ['runs', String(j.execution_count)],
          ['source', j.source],
          ['load error', loadError],
          ['error', j.error ? c.red(j.error) : undefined],
        ],
        c,
      ),
    );
    return 0;
  }
}
