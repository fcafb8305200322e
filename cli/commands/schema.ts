import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Option } from 'clipanion';
import { MxxError } from '../../src/errors.js';
import { BaseCommand } from '../base.js';

export default class SchemaCommand extends BaseCommand {
  static override paths = [['schema']];
  static override usage = BaseCommand.Usage({
    category: 'Jobs',
    description: 'Print the JSON Schema of job files',
    details:
      'Prints the JSON Schema (draft-07) of job files, for editors: taplo / Even Better TOML reads it from a `#:schema PATH` first line, the YAML language server from `# yaml-language-server: $schema=PATH`. It is the file `schema/mxx-job.schema.json` of the package. It checks keys, types and ranges as you type; what only the server can tell (a time zone name, a cron pattern that never fires) is still checked by `mxx validate FILE`. Needs no server.',
    examples: [
      ['Print the schema', '$0 schema'],
      ['Save it where job files can point to it', '$0 schema --output ~/.mxx/mxx-job.schema.json'],
    ],
  });

  output = Option.String('--output,-o', { description: 'Write the schema to this file (creating its folder) instead of printing it' });

  async run(): Promise<number> {
    const { jobJsonSchemaText } = await import('../../src/job/json-schema.js');
    const text = jobJsonSchemaText();
    if (this.output === undefined) {
      this.out(text);
      return 0;
    }
    try {
      await mkdir(dirname(this.output), { recursive: true });
      await writeFile(this.output, text);
    } catch (error) {
      throw new MxxError('INVALID_REQUEST', `cannot write ${this.output}: ${(error as Error).message}`);
    }
    this.err(`wrote ${this.output}`);
    return 0;
  }
}
