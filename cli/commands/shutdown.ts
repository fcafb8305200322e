import { ClientCommand } from '../base.js';

/** Stub: built by the #14 work. */
export default class ShutdownCommand extends ClientCommand {
  static override paths = [['shutdown']];
  static override usage = ClientCommand.Usage({ category: 'Server', description: 'Ask a running server to stop cleanly' });

  async run(): Promise<number> {
    this.err('not built yet');
    return 1;
  }
}
