import type { IncomingHttpHeaders } from 'node:http';
import { Option } from 'clipanion';
import type { RunsBody } from '../../src/api/types.js';
import { MxxError } from '../../src/errors.js';
import { ClientCommand } from '../base.js';
import { seg } from '../client.js';

/** The API's answer header saying where a log came from: `file`, or `tail` (the run record's output tail). */
const LOG_SOURCE_HEADER = 'x-mxx-log-source';

function formatSize(bytes: number): string {
  return bytes < 1024 ? `${bytes} bytes` : `${Math.round(bytes / 1024)} KB`;
}

export default class LogsCommand extends ClientCommand {
  static override paths = [['logs'], ['log']];
  static override usage = ClientCommand.Usage({
    category: 'Runs',
    description: "Print a run's output",
    details:
      "Prints the log of the job's latest run, or of `--run RUN`. With `--follow`, keeps printing output as it arrives until the run ends. If the log file is gone, prints the last few KB of output kept in the run record, with a note on stderr. The output is printed as is (`--json` does not change it).",
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
    let bytes = 0;
    let headers: IncomingHttpHeaders;
    if (this.follow) {
      headers = await this.client.stream(path, { follow: true }, (chunk) => {
        bytes += chunk.byteLength;
        this.context.stdout.write(chunk);
      });
    } else {
      const answer = await this.client.raw(path);
      bytes = answer.body.byteLength;
      headers = answer.headers;
      this.context.stdout.write(answer.body);
    }
    // Without the file, what is printed is only the end of the output: say so, so it is not taken for all of it.
    if (headers[LOG_SOURCE_HEADER] === 'tail') {
      this.err(`note: the log file of run ${runId} is gone; this is the output kept in its run record (last ${formatSize(bytes)})`);
    }
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
