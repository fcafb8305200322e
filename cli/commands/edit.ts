import { ClientCommand } from '../base.js';

/** Stub: built by the #14 work. */
export default class EditCommand extends ClientCommand {
  static override paths = [['edit']];
  static override usage = ClientCommand.Usage({ category: 'Jobs', description: 'Edit a job in $EDITOR' });

  async run(): Promise<number> {
    this.err('not built yet');
    return 1;
  }
}
