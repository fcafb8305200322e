import { BaseCommand } from '../base.js';

/** Stub: built by the #14 work. */
export default class HelpCommand extends BaseCommand {
  static override paths = [['help']];
  static override usage = BaseCommand.Usage({ category: 'General', description: 'Show help for a command' });

  async run(): Promise<number> {
    this.err('not built yet');
    return 1;
  }
}
