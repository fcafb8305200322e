import { ClientCommand } from '../base.js';

/** Stub: built by the #14 work. */
export default class ExportCommand extends ClientCommand {
  static override paths = [['export']];
  static override usage = ClientCommand.Usage({ category: 'Jobs', description: 'Print a job as TOML for the jobs folder' });

  async run(): Promise<number> {
    this.err('not built yet');
    return 1;
  }
}
