import { Option } from 'clipanion';
import * as t from 'typanion';
import type { NextBody } from '../../src/api/types.js';
import { ClientCommand } from '../base.js';
import { seg } from '../client.js';
import { formatWhen } from '../format/time.js';

export default class NextCommand extends ClientCommand {
  static override paths = [['next']];
  static override usage = ClientCommand.Usage({
    category: 'Jobs',
    description: 'Show the next fire times of a job',
    details: 'Asks the server when the job fires next (5 times by default). An on-demand or cancelled job has none.',
    examples: [
      ['Next 5 fires', '$0 next daily_backup'],
      ['Next 10 fires', '$0 next daily_backup -n 10'],
    ],
  });

  n = Option.String('-n,--count', '5', {
    description: 'How many fire times (default: 5)',
    validator: t.cascade(t.isNumber(), [t.isInteger(), t.isInInclusiveRange(1, 1000)]),
  });
  id = Option.String({ name: 'id' });

  async run(): Promise<number> {
    const { body } = await this.client.get<NextBody>(`/jobs/${seg(this.id)}/next`, { n: this.n });
    if (this.printJson(body)) return 0;
    if (body.next.length === 0) {
      this.out(`${this.id} has no upcoming fires (on demand, cancelled or past its end date)`);
      return 0;
    }
    const now = Date.now();
    for (const when of body.next) this.out(formatWhen(when, now, true));
    return 0;
  }
}
