import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { Option } from 'clipanion';
import type { RegisterBody } from '../../src/api/types.js';
import { MxxError } from '../../src/errors.js';
import { formatOfExtension, JOB_FILE_EXTENSIONS } from '../../src/job/file-format.js';
import { ClientCommand } from '../base.js';
import { registeredLines } from '../format/registered.js';

export default class RegisterCommand extends ClientCommand {
  static override paths = [['register']];
  static override usage = ClientCommand.Usage({
    category: 'Jobs',
    description: 'Register a job from a TOML, YAML or JSON file',
    details:
      'Reads the job file here and sends it to the server, which validates and stores it (it survives restarts). The job id is the file name without its extension unless `--job-id` is given. An existing id is refused unless `--replace` is given. To have the server watch a file instead, put it in the jobs folder (~/.mxx/jobs).',
    examples: [
      ['Register a job under a chosen id', '$0 register --job-id my_job example_config.toml'],
      ['Replace a registered job', '$0 register --replace backup.yaml'],
    ],
  });

  jobId = Option.String('--job-id', { description: 'Job id (default: the file name without extension)' });
  replace = Option.Boolean('--replace', false, { description: 'Replace a job with the same id' });
  file = Option.String({ name: 'file' });

  async run(): Promise<number> {
    const format = formatOfExtension(this.file);
    if (!format) {
      throw new MxxError('INVALID_JOB', `${this.file}: not a job file`, { hint: `use a ${JOB_FILE_EXTENSIONS} file` });
    }
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      throw new MxxError('INVALID_REQUEST', `cannot read ${this.file}: ${(error as Error).message}`);
    }
    // The parser (TOML, YAML) is loaded only by the commands that read job files.
    const { parseJobText } = await import('../../src/job/load-file.js');
    const doc = parseJobText(text, format, basename(this.file));
    if (!doc || typeof doc !== 'object' || Array.isArray(doc)) {
      throw new MxxError('INVALID_JOB', `${this.file}: a job file must hold a table of sections`);
    }
    const { schedule, ...config } = doc as Record<string, unknown>;
    // Unlike the jobs folder, any file name works here (templates too); the server checks the id.
    const jobId = this.jobId ?? basename(this.file, extname(this.file));
    const { body } = await this.client.post<RegisterBody>('/jobs', {
      job_id: jobId,
      config,
      ...(schedule === undefined ? {} : { schedule }),
      ...(this.replace ? { replace_existing: true } : {}),
    });
    if (this.printJson(body)) return 0;
    const { out, warning } = registeredLines(body, this.colors);
    this.out(out);
    if (warning) this.err(warning);
    return 0;
  }
}
