import { BaseCommand } from '../base.js';

/** Stub: built by the #14 work. */
export default class CompletionCommand extends BaseCommand {
  static override paths = [['completion']];
  static override usage = BaseCommand.Usage({ category: 'General', description: 'Print a shell completion script' });

  async run(): Promise<number> {
    this.err('not built yet');
    return 1;
  }
}
