import { Option } from 'clipanion';
import type { TriggerBody } from '../../src/api/types.js';
import { ClientCommand } from '../base.js';
import { seg } from '../client.js';

export default class TriggerCommand extends ClientCommand {
  static override paths = [['trigger']];
  static override usage = ClientCommand.Usage({
    category: 'Jobs',
    description: 'Run a job now',
    details:
      "Starts a run of a scheduled or on-demand job. If the job is already running, its overlap policy decides (skip refuses, queue waits). Follow the output with `mxx logs ID --follow`.",
    examples: [['Run an on-demand job', '$0 trigger manual_task']],
  });

  id = Option.String({ name: 'id' });

  async run(): Promise<number> {
    const { body } = await this.client.post<TriggerBody>(`/jobs/${seg(this.id)}/trigger`);
    if (this.printJson(body)) return 0;
    const c = this.colors;
    this.out(`${body.status} ${c.bold(body.job_id)}: run ${body.run_id}`);
    this.out(c.dim(`see its output with: mxx logs ${body.job_id} --run ${body.run_id} --follow`));
    return 0;
  }
}
