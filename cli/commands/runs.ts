import { Option } from 'clipanion';
import * as t from 'typanion';
import type { RunsBody } from '../../src/api/types.js';
import { ClientCommand } from '../base.js';
import { seg } from '../client.js';
import { colorStatus } from '../format/color.js';
import { renderTable } from '../format/table.js';
import { formatAbsolute, formatDuration } from '../format/time.js';

export default class RunsCommand extends ClientCommand {
  static override paths = [['runs']];
  static override usage = ClientCommand.Usage({
    category: 'Runs',
    description: "Show a job's run history, newest first",
    details: 'One line per run: id, what started it (schedule, manual, retry), start, duration, outcome and exit code.',
    examples: [
      ['Recent runs of a job', '$0 runs daily_backup'],
      ['The last 5 runs', '$0 runs daily_backup --limit 5'],
    ],
  });

  limit = Option.String('--limit,-n', {
    description: 'Show at most N runs (default: the server\'s default)',
    validator: t.cascade(t.isNumber(), [t.isInteger(), t.isAtLeast(1)]),
  });
  id = Option.String({ name: 'id' });

  async run(): Promise<number> {
    const { body } = await this.client.get<RunsBody>(`/jobs/${seg(this.id)}/runs`, { limit: this.limit });
    if (this.printJson(body)) return 0;
    if (body.runs.length === 0) {
      this.out(`no runs of ${this.id} yet (start one with: mxx trigger ${this.id})`);
      return 0;
    }
    const c = this.colors;
    const rows = body.runs.map((r) => [
      r.run_id,
      r.trigger,
      formatAbsolute(r.started_at ?? r.scheduled_at ?? '-', true),
      formatDuration(r.duration_ms),
      colorStatus(c, r.status),
      r.exit_code !== null ? String(r.exit_code) : r.signal ?? '-',
    ]);
    this.out(renderTable(['RUN', 'TRIGGER', 'STARTED', 'DURATION', 'STATUS', { header: 'EXIT', right: true }], rows, c));
    return 0;
  }
}
