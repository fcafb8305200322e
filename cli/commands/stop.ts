import { Option } from 'clipanion';
import type { ActionBody } from '../../src/api/types.js';
import { ClientCommand } from '../base.js';
import { seg } from '../client.js';

export default class StopCommand extends ClientCommand {
  static override paths = [['stop']];
  static override usage = ClientCommand.Usage({
    category: 'Jobs',
    description: "Stop a job's running runs",
    details: 'Sends SIGTERM to the process group of each running run, then SIGKILL after the grace period. The schedule stays armed.',
    examples: [['Stop a running job', '$0 stop my_job_1']],
  });

  id = Option.String({ name: 'id' });

  async run(): Promise<number> {
    const { body } = await this.client.post<ActionBody>(`/jobs/${seg(this.id)}/stop`);
    return this.printAction(body);
  }
}
