import { Option } from 'clipanion';
import * as t from 'typanion';
import type { JobListBody } from '../../src/api/types.js';
import { ClientCommand } from '../base.js';
import { colorStatus } from '../format/color.js';
import { describeSchedule } from '../format/schedule.js';
import { renderTable } from '../format/table.js';
import { formatWhen } from '../format/time.js';

export default class ListCommand extends ClientCommand {
  static override paths = [['list'], ['ls']];
  static override usage = ClientCommand.Usage({
    category: 'Jobs',
    description: 'List jobs with their schedule, next run and last status',
    details:
      '`--type active` lists only jobs with a run in progress; `--type scheduled` only jobs whose schedule is armed (not on-demand, not cancelled).',
    examples: [
      ['List all jobs', '$0 list'],
      ['List jobs that are running now', '$0 list --type active'],
    ],
  });

  type = Option.String('--type', 'all', {
    description: 'all, active or scheduled',
    validator: t.isEnum(['all', 'active', 'scheduled'] as const),
  });

  async run(): Promise<number> {
    const { body } = await this.client.get<JobListBody>(this.type === 'active' ? '/jobs/active' : '/jobs');
    const jobs = this.type === 'scheduled' ? body.jobs.filter((j) => j.scheduled) : body.jobs;
    if (this.printJson(this.type === 'scheduled' ? { ...body, jobs, count: jobs.length } : body)) return 0;
    if (jobs.length === 0) {
      this.out(this.type === 'all' ? 'no jobs (add a file to ~/.mxx/jobs or run: mxx register FILE)' : `no ${this.type} jobs`);
      return 0;
    }
    const c = this.colors;
    const now = Date.now();
    const rows = jobs.map((j) => [
      c.bold(j.job_id),
      describeSchedule(j.schedule) + (j.paused ? c.yellow(' (cancelled)') : ''),
      j.next_run_time ? formatWhen(j.next_run_time, now) : '-',
      colorStatus(c, j.status),
      String(j.execution_count),
    ]);
    this.out(renderTable(['JOB', 'SCHEDULE', 'NEXT RUN', 'LAST STATUS', { header: 'RUNS', right: true }], rows, c));
    return 0;
  }
}
