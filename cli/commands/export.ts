import { writeFile } from 'node:fs/promises';
import { Option } from 'clipanion';
import type { RegistryEntryBody } from '../../src/api/types.js';
import { MxxError } from '../../src/errors.js';
import { ClientCommand } from '../base.js';
import { seg } from '../client.js';

export default class ExportCommand extends ClientCommand {
  static override paths = [['export']];
  static override usage = ClientCommand.Usage({
    category: 'Jobs',
    description: 'Print a job as TOML for the jobs folder',
    details:
      "Fetches the job's definition from the server and prints it as a TOML job file: saved in the jobs folder as `<id>.toml`, it defines the same job. Sections and keys come in the order of the docs, and only the keys the definition holds are written (no defaults are added). A YAML or JSON job file comes out as TOML; comments of a job file are not kept. Run state (history, a cancelled schedule) is not part of a definition. With `--json` it prints the same document as JSON, which is a job file too (`<id>.json`).",
    examples: [
      ['Print a job', '$0 export daily_backup'],
      ['Move an API job into the jobs folder', '$0 export my_job --output ~/.mxx/jobs/my_job.toml && $0 unregister my_job'],
    ],
  });

  override json = Option.Boolean('--json', false, { description: 'Print the job as a JSON job document instead of TOML' });
  output = Option.String('--output,-o', { description: 'Write the TOML to this file instead of printing it' });
  id = Option.String({ name: 'id' });

  async run(): Promise<number> {
    const { body: entry } = await this.client.get<RegistryEntryBody>(`/registry/${seg(this.id)}`);
    const { jobDocument, jobToml } = await import('../job-toml.js');
    const fromFile = entry.source === 'api' ? undefined : entry.source.slice('config:'.length);
    const text = this.json
      ? `${JSON.stringify(jobDocument(entry), null, 2)}\n`
      : jobToml(entry, [
          `exported from mxx server ${this.client.server}, job ${entry.job_id}, ${new Date().toISOString()}`,
          ...(fromFile ? [`its definition comes from the job file ${fromFile}`] : []),
        ]);
    // The server keeps the last good definition of a file that no longer loads: say which one this is.
    if (entry.load_error) this.err(this.colors.yellow(`warning: ${fromFile} does not load (${entry.load_error}); this is its last good definition`));
    if (this.output === undefined) {
      this.out(text);
      return 0;
    }
    try {
      await writeFile(this.output, text);
    } catch (error) {
      throw new MxxError('INVALID_REQUEST', `cannot write ${this.output}: ${(error as Error).message}`);
    }
    this.err(`wrote ${this.output}`);
    if (!fromFile) this.err(this.colors.dim(`job ${entry.job_id} is registered through the API: a job file for it in the jobs folder loads once you run mxx unregister ${entry.job_id}`));
    return 0;
  }
}
