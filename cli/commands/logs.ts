import { Option } from 'clipanion';
import type { RunsBody } from '../../src/api/types.js';
import { MxxError } from '../../src/errors.js';
import { BaseCommand } from '../base.js';
import { seg } from '../client.js';

export default class LogsCommand extends BaseCommand {
  static override paths = [['logs'], ['log']];
  static override usage = BaseCommand.Usage({
    category: 'Runs',
    description: "Print a run's output",
    details:
      "Prints the log of the job's latest run, or of `--run RUN`. With `--follow`, keeps printing output as it arrives until the run ends. The output is printed as is (`--json` does not change it).",
    examples: [
      ['Output of the latest run', '$0 logs daily_backup'],
      ['Follow a run while it runs', '$0 logs daily_backup --follow'],
      ['Output of one run', '$0 logs daily_backup --run <run-id>'],
    ],
  });

  run_ = Option.String('--run', { description: 'Run id (default: the latest run)' });
  follow = Option.Boolean('--follow,-f', false, { description: 'Keep printing output until the run ends' });
  id = Option.String({ name: 'id' });

  async run(): Promise<number> {
    const runId = this.run_ ?? (await this.latestRun());
    const path = `/runs/${seg(runId)}/log`;
    if (this.follow) {
      await this.client.stream(path, { follow: true }, (chunk) => this.context.stdout.write(chunk));
      return 0;
    }
    this.context.stdout.write(await this.client.text(path));
    return 0;
  }

  private async latestRun(): Promise<string> {
    const { body } = await this.client.get<RunsBody>(`/jobs/${seg(this.id)}/runs`, { limit: 1 });
    const latest = body.runs[0];
    if (!latest) {
      throw new MxxError('RUN_NOT_FOUND', `job ${this.id} has no runs yet`, { hint: `start one with: mxx trigger ${this.id}` });
    }
    return latest.run_id;
  }
}
