import { Option } from 'clipanion';
import type { ValidateBody } from '../../src/api/types.js';
import { MxxError } from '../../src/errors.js';
import type { ValidationIssue } from '../../src/job/types.js';
import { BaseCommand } from '../base.js';
import { describeSchedule } from '../format/schedule.js';
import { formatWhen } from '../format/time.js';

export default class ValidateCommand extends BaseCommand {
  static override paths = [['validate']];
  static override usage = BaseCommand.Usage({
    category: 'Jobs',
    description: 'Check a job file without a server',
    details:
      'Parses and validates a TOML, YAML or JSON job file here, with the same rules the server uses. Prints every problem as `file:line:column: key: message` and exits 1, or prints the schedule and its next 5 fire times.',
    examples: [['Check a job file', '$0 validate ~/.mxx/jobs/daily_backup.toml']],
  });

  json = Option.Boolean('--json', false, { description: 'Print {valid, errors, next} as JSON' });
  file = Option.String({ name: 'file' });

  async run(): Promise<number> {
    let errors: ValidationIssue[] = [];
    let next: string[] = [];
    let summary = '';
    // The parser and croner are loaded only by the commands that read job files.
    const [{ loadJobFile }, { createSchedule, describeNext }] = await Promise.all([
      import('../../src/job/load-file.js'),
      import('../../src/job/schedule.js'),
    ]);
    try {
      const job = await loadJobFile(this.file);
      const now = Date.now();
      next = job.schedule ? describeNext(createSchedule(job.schedule, now), now, 5) : [];
      summary = describeSchedule(job.scheduleDoc);
    } catch (error) {
      if (!(error instanceof MxxError && error.code === 'INVALID_JOB' && Array.isArray(error.details))) throw error;
      errors = error.details as ValidationIssue[];
    }
    if (this.json) {
      const body: ValidateBody = { valid: errors.length === 0, errors, next };
      this.out(JSON.stringify(body, null, 2));
      return errors.length ? 1 : 0;
    }
    const c = this.colors;
    if (errors.length) {
      for (const e of errors) {
        // Same shape as the server's messages: `file:line:col: message` or `file: path message`.
        if (e.line !== undefined) this.err(`${this.file}:${e.line}:${e.column ?? 1}: ${e.message}`);
        else this.err(`${this.file}: ${e.path ? `${c.red(e.path)} ` : ''}${e.message}`);
      }
      this.err(c.red(`${this.file} is invalid (${errors.length} problem${errors.length === 1 ? '' : 's'})`));
      return 1;
    }
    this.out(`${c.green('valid')}: ${this.file} (${summary})`);
    if (next.length) {
      this.out('next fires:');
      const now = Date.now();
      for (const when of next) this.out(`  ${formatWhen(when, now, true)}`);
    } else if (summary !== 'on demand') {
      this.out('no upcoming fires');
    }
    return 0;
  }
}
