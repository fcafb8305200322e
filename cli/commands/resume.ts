import { Option } from 'clipanion';
import type { ActionBody } from '../../src/api/types.js';
import { ClientCommand } from '../base.js';
import { seg } from '../client.js';

export default class ResumeCommand extends ClientCommand {
  static override paths = [['resume']];
  static override usage = ClientCommand.Usage({
    category: 'Jobs',
    description: 'Resume a cancelled schedule',
    details: 'Re-arms the schedule of a job paused with `mxx cancel`; the next fire is computed from now.',
    examples: [['Resume a job', '$0 resume my_job_1']],
  });

  id = Option.String({ name: 'id' });

  async run(): Promise<number> {
    const { body } = await this.client.post<ActionBody>(`/jobs/${seg(this.id)}/resume`);
    return this.printAction(body);
  }
}
