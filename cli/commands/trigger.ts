import { Option, UsageError } from 'clipanion';
import type { TriggerBody } from '../../src/api/types.js';
import { ClientCommand } from '../base.js';
import { seg } from '../client.js';
import { formatRunEnd } from '../format/run-end.js';
import { EXIT_INTERRUPTED, exitCodeOf, interruptOnCtrlC, waitForRunEnd, WaitInterrupted } from '../run-wait.js';

export default class TriggerCommand extends ClientCommand {
  static override paths = [['trigger']];
  static override usage = ClientCommand.Usage({
    category: 'Jobs',
    description: 'Run a job now',
    details: [
      'Starts a run of a scheduled or on-demand job. If the job is already running, its overlap policy decides (skip refuses, queue waits). Follow the output with `mxx logs ID --follow`.',
      '',
      'With `--wait`, waits until the run has ended (a queued run is waited for too) and prints how it ended: its status, exit code and duration. The exit code is then 0 if the run completed, 1 if it did not (failed, timed_out, cancelled, interrupted), 3 if the server could not be reached any more. With `--json`, the final run record is printed instead.',
      '',
      "`--follow` also prints the run's output while it runs (it implies `--wait`); the output goes to stdout exactly as the run wrote it, mxx's own lines to stderr.",
      '',
      'Ctrl-C while waiting stops waiting (exit 130) and does not stop the run: stop it with `mxx stop ID`.',
    ].join('\n'),
    examples: [
      ['Run an on-demand job', '$0 trigger manual_task'],
      ['Run it and wait: exit 0 only if it completed', '$0 trigger manual_task --wait'],
      ['Run it, print its output, then how it ended', '$0 trigger manual_task --follow'],
    ],
  });

  wait = Option.Boolean('--wait,-w', false, { description: 'Wait for the run to end; exit 0 if it completed, 1 if not' });
  follow = Option.Boolean('--follow,-f', false, { description: "Print the run's output while waiting (implies --wait)" });
  id = Option.String({ name: 'id' });

  async run(): Promise<number> {
    if (this.follow && this.json) {
      throw new UsageError("--follow prints the run's output, which is not JSON; use --wait --json for the final run record");
    }
    const { body } = await this.client.post<TriggerBody>(`/jobs/${seg(this.id)}/trigger`);
    const c = this.colors;
    if (!this.wait && !this.follow) {
      if (this.printJson(body)) return 0;
      this.out(`${body.status} ${c.bold(body.job_id)}: run ${body.run_id}`);
      this.out(c.dim(`see its output with: mxx logs ${body.job_id} --run ${body.run_id} --follow`));
      return 0;
    }
    // With --follow, stdout carries the run's output and nothing else.
    const say = (text: string): void => (this.follow ? this.err(text) : this.out(text));
    // Before the line that says it waits: a Ctrl-C from then on must find the handler.
    const interrupt = interruptOnCtrlC();
    if (!this.json) say(`${body.status} ${c.bold(body.job_id)}: run ${body.run_id}; waiting for it to end`);
    try {
      const { record } = await waitForRunEnd(this.client, body.run_id, {
        signal: interrupt.signal,
        ...(this.follow && { onOutput: (chunk: Uint8Array) => this.context.stdout.write(chunk) }),
      });
      if (!this.printJson(record)) say(formatRunEnd(record, c));
      return exitCodeOf(record);
    } catch (error) {
      if (!(error instanceof WaitInterrupted)) throw error;
      this.err(`stopped waiting; run ${body.run_id} goes on (stop it with: mxx stop ${body.job_id})`);
      return EXIT_INTERRUPTED;
    } finally {
      interrupt.dispose();
    }
  }
}
