import { Option } from 'clipanion';
import type { ActionBody } from '../../src/api/types.js';
import { ClientCommand } from '../base.js';
import { seg } from '../client.js';

export default class RemoveCommand extends ClientCommand {
  static override paths = [['remove']];
  static override usage = ClientCommand.Usage({
    category: 'Jobs',
    description: "Delete a finished job's run history and logs",
    details:
      "Deletes the job's run history and run logs on the server, for good: `mxx runs` and `mxx logs` then show nothing of its earlier runs. The job stays registered with its schedule. Refused while a run of the job is in progress or queued. To remove the job itself, use `mxx unregister`.",
    examples: [['Delete the run history and logs of a finished job', '$0 remove my_job_1']],
  });

  id = Option.String({ name: 'id' });

  async run(): Promise<number> {
    const { body } = await this.client.post<ActionBody>(`/jobs/${seg(this.id)}/remove`);
    return this.printAction(body);
  }
}
