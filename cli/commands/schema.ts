import { BaseCommand } from '../base.js';

/** Stub: built by the #14 work. */
export default class SchemaCommand extends BaseCommand {
  static override paths = [['schema']];
  static override usage = BaseCommand.Usage({ category: 'Jobs', description: 'Print the JSON Schema of job files' });

  async run(): Promise<number> {
    this.err('not built yet');
    return 1;
  }
}
