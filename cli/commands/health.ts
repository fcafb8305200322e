import type { HealthBody } from '../../src/api/types.js';
import type { JobsFolderState } from '../../src/watcher.js';
import { ClientCommand } from '../base.js';
import { loadErrorLines } from '../format/load-error.js';
import { renderFields } from '../format/table.js';
import { formatSpan } from '../format/time.js';

export default class HealthCommand extends ClientCommand {
  static override paths = [['health']];
  static override usage = ClientCommand.Usage({
    category: 'Server',
    description: 'Check that the server is up',
    details: 'Asks the server for its health: version, uptime, number of jobs and running runs, and job files that failed to load. Exits 3 when the server cannot be reached.',
    examples: [
      ['Check the default server', '$0 health'],
      ['Check another server', '$0 health --server http://127.0.0.1:8080'],
    ],
  });

  async run(): Promise<number> {
    // jobs_folder: the watcher's state, from servers that report it.
    const { body } = await this.client.get<HealthBody & { jobs_folder?: JobsFolderState }>('/health');
    if (this.printJson(body)) return 0;
    const c = this.colors;
    const folder = body.jobs_folder;
    this.out(
      renderFields(
        [
          ['server', `${this.client.server} ${c.green(body.status)}`],
          ['service', `${body.service} ${body.version}`],
          ['uptime', formatSpan(body.uptime_s * 1000)],
          ['jobs', String(body.jobs)],
          ['running', String(body.running)],
          ['jobs folder', folder && (folder.watching ? folder.dir : c.red(`not watched: ${folder.problem ?? folder.dir}${folder.since ? ` at ${folder.since}` : ''}; job file changes are not seen`))],
          ['load errors', body.load_errors ? c.red(String(body.load_errors)) : '0'],
        ],
        c,
      ),
    );
    for (const text of (body.load_error_files ?? []).flatMap(loadErrorLines)) this.out(`  ${c.red(text)}`);
    return 0;
  }
}
