import { Option } from 'clipanion';
import type { RegistryEntryBody } from '../../src/api/types.js';
import { ClientCommand } from '../base.js';
import { seg } from '../client.js';
import { describeSchedule } from '../format/schedule.js';
import { renderFields } from '../format/table.js';
import { formatAbsolute } from '../format/time.js';

export default class InfoCommand extends ClientCommand {
  static override paths = [['info']];
  static override usage = ClientCommand.Usage({
    category: 'Registry',
    description: "Show a job's registry entry",
    details: 'Shows the stored definition (config and schedule as written), where it comes from and its load error, if any.',
    examples: [['Registry entry of a job', '$0 info my_job_1']],
  });

  id = Option.String({ name: 'id' });

  async run(): Promise<number> {
    const { body: e } = await this.client.get<RegistryEntryBody>(`/registry/${seg(this.id)}`);
    if (this.printJson(e)) return 0;
    const c = this.colors;
    const indent = (v: unknown): string => JSON.stringify(v, null, 2).replace(/\n/g, '\n  ');
    this.out(
      renderFields(
        [
          ['job', c.bold(e.job_id)],
          ['schedule', describeSchedule(e.schedule) + (e.paused ? c.yellow(' (cancelled)') : '')],
          ['source', e.file ? `${e.source} (${e.file})` : e.source],
          ['registered', formatAbsolute(e.registered_at, true)],
          ['last triggered', e.last_triggered ? formatAbsolute(e.last_triggered, true) : '-'],
          ['runs', String(e.execution_count)],
          ['load error', e.load_error ? c.red(e.load_error) : undefined],
        ],
        c,
      ),
    );
    this.out(`${c.bold('config:')}\n  ${indent(e.config)}`);
    if (e.schedule) this.out(`${c.bold('schedule section:')}\n  ${indent(e.schedule)}`);
    return 0;
  }
}
