import { Option } from 'clipanion';
import type { ActionBody } from '../../src/api/types.js';
import { ClientCommand } from '../base.js';
import { seg } from '../client.js';

export default class UnregisterCommand extends ClientCommand {
  static override paths = [['unregister']];
  static override usage = ClientCommand.Usage({
    category: 'Registry',
    description: 'Remove a job from the registry',
    details: 'Cancels its schedule and forgets it; a run in progress is not stopped. A job that comes from a job file is refused: delete or move the file instead.',
    examples: [['Unregister a job', '$0 unregister my_job_1']],
  });

  id = Option.String({ name: 'id' });

  async run(): Promise<number> {
    const { body } = await this.client.delete<ActionBody>(`/registry/${seg(this.id)}`);
    return this.printAction(body);
  }
}
