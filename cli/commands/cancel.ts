import { Option } from 'clipanion';
import type { ActionBody } from '../../src/api/types.js';
import { ClientCommand } from '../base.js';
import { seg } from '../client.js';

export default class CancelCommand extends ClientCommand {
  static override paths = [['cancel']];
  static override usage = ClientCommand.Usage({
    category: 'Jobs',
    description: "Cancel a job's schedule",
    details:
      'The job stays registered with its schedule paused (also after a restart) until `mxx resume ID`. A run in progress keeps running unless `--terminate` is given.',
    examples: [
      ['Pause a schedule', '$0 cancel my_job_1'],
      ['Pause it and stop the current run', '$0 cancel my_job_1 --terminate'],
    ],
  });

  terminate = Option.Boolean('--terminate', false, { description: 'Also stop a running run' });
  id = Option.String({ name: 'id' });

  async run(): Promise<number> {
    const { body } = await this.client.delete<ActionBody>(`/jobs/${seg(this.id)}`, this.terminate ? { terminate: true } : undefined);
    return this.printAction(body);
  }
}
