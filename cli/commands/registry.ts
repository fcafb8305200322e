import { Option } from 'clipanion';
import * as t from 'typanion';
import type { RegistryListBody } from '../../src/api/types.js';
import { ClientCommand } from '../base.js';
import { describeSchedule } from '../format/schedule.js';
import { renderTable } from '../format/table.js';
import { formatAbsolute } from '../format/time.js';

export default class RegistryCommand extends ClientCommand {
  static override paths = [['registry']];
  static override usage = ClientCommand.Usage({
    category: 'Registry',
    description: 'List registered jobs',
    details: 'Shows every job the server knows, where it comes from (a job file or the API) and how often it ran.',
    examples: [
      ['All registered jobs', '$0 registry'],
      ['Only on-demand jobs', '$0 registry --type on_demand'],
    ],
  });

  type = Option.String('--type', 'all', {
    description: 'all, scheduled or on_demand',
    validator: t.isEnum(['all', 'scheduled', 'on_demand'] as const),
  });

  async run(): Promise<number> {
    const { body } = await this.client.get<RegistryListBody>('/registry', { type: this.type });
    if (this.printJson(body)) return 0;
    if (body.jobs.length === 0) {
      this.out(this.type === 'all' ? 'no registered jobs' : `no ${this.type.replace('_', '-')} jobs`);
      return 0;
    }
    const c = this.colors;
    const rows = body.jobs.map((e) => [
      c.bold(e.job_id),
      describeSchedule(e.schedule) + (e.paused ? c.yellow(' (cancelled)') : ''),
      e.source,
      formatAbsolute(e.registered_at),
      e.last_triggered ? formatAbsolute(e.last_triggered) : '-',
      String(e.execution_count),
      e.load_error ? c.red('load error') : '',
    ]);
    this.out(renderTable(['JOB', 'SCHEDULE', 'SOURCE', 'REGISTERED', 'LAST TRIGGERED', { header: 'RUNS', right: true }, ''], rows, c).replace(/ +$/gm, ''));
    return 0;
  }
}
