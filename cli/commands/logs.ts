import type { IncomingHttpHeaders } from 'node:http';
import { Option } from 'clipanion';
import type { RunsBody } from '../../src/api/types.js';
import { MxxError } from '../../src/errors.js';
import { ClientCommand } from '../base.js';
import { seg } from '../client.js';
import { formatRunEnd } from '../format/run-end.js';
import { EXIT_INTERRUPTED, exitCodeOf, interruptOnCtrlC, waitForRunEnd, WaitInterrupted } from '../run-wait.js';

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
    details: [
      "Prints the log of the job's latest run, or of `--run RUN`. If the log file is gone, prints the last few KB of output kept in the run record, with a note on stderr. The output is printed as is (`--json` does not change it).",
      '',
      "With `--follow`, keeps printing output as it arrives until the run ends, then prints how it ended on stderr (status, exit code, duration) and exits 0 if the run completed, 1 if it did not (failed, timed_out, cancelled, interrupted), 3 if the server could not be reached any more. Ctrl-C stops following (exit 130); the run goes on.",
    ].join('\n'),
    examples: [
      ['Output of the latest run', '$0 logs daily_backup'],
      ['Follow a run while it runs', '$0 logs daily_backup --follow'],
      ['Output of one run', '$0 logs daily_backup --run <run-id>'],
    ],
  });

  run_ = Option.String('--run', { description: 'Run id (default: the latest run)' });
  follow = Option.Boolean('--follow,-f', false, { description: 'Keep printing output until the run ends; exit 0 if it completed, 1 if not' });
  id = Option.String({ name: 'id' });

  async run(): Promise<number> {
    const runId = this.run_ ?? (await this.latestRun());
    if (this.follow) return this.followRun(runId);
    const answer = await this.client.raw(`/runs/${seg(runId)}/log`);
    this.context.stdout.write(answer.body);
    this.noteTail(runId, answer.headers, answer.body.byteLength);
    return 0;
  }

  private async followRun(runId: string): Promise<number> {
    const interrupt = interruptOnCtrlC();
    try {
      const end = await waitForRunEnd(this.client, runId, {
        signal: interrupt.signal,
        onOutput: (chunk) => this.context.stdout.write(chunk),
        onNoLog: (message) => this.err(`note: ${message}`),
      });
      this.noteTail(runId, { [LOG_SOURCE_HEADER]: end.fromTail ? 'tail' : 'file' }, end.bytes);
      this.err(formatRunEnd(end.record, this.colors));
      return exitCodeOf(end.record);
    } catch (error) {
      if (!(error instanceof WaitInterrupted)) throw error;
      this.err(`stopped following; run ${runId} goes on`);
      return EXIT_INTERRUPTED;
    } finally {
      interrupt.dispose();
    }
  }

  /** Without the file, what is printed is only the end of the output: say so, so it is not taken for all of it. */
  private noteTail(runId: string, headers: IncomingHttpHeaders, bytes: number): void {
    if (headers[LOG_SOURCE_HEADER] === 'tail') {
      this.err(`note: the log file of run ${runId} is gone; this is the output kept in its run record (last ${formatSize(bytes)})`);
    }
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
