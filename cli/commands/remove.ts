import { Option } from 'clipanion';
import type { ActionBody } from '../../src/api/types.js';
import { BaseCommand } from '../base.js';
import { seg } from '../client.js';

export default class RemoveCommand extends BaseCommand {
  static override paths = [['remove']];
  static override usage = BaseCommand.Usage({
    category: 'Jobs',
    description: "Clear a finished job's run state",
    details: 'Forgets the status of the last run (the run history is kept). Refused while the job is running.',
    examples: [['Clear the state of a finished job', '$0 remove my_job_1']],
  });

  id = Option.String({ name: 'id' });

  async run(): Promise<number> {
    const { body } = await this.client.post<ActionBody>(`/jobs/${seg(this.id)}/remove`);
    if (this.printJson(body)) return 0;
    this.out(body.message);
    return 0;
  }
}
