import { Option, type CommandClass } from 'clipanion';
import { MxxError } from '../../src/errors.js';
import type { ImportResult } from '../../src/store/import.js';
import { BaseCommand } from '../base.js';

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

class StoreImportCommand extends BaseCommand {
  static override paths = [['store', 'import']];
  static override usage = BaseCommand.Usage({
    category: 'Server',
    description: 'Copy the jobs and run history of a files-store home into PostgreSQL',
    details:
      'For moving one server from the files under ~/.mxx to the PostgreSQL store. Reads the registry (registry.json and its journal) and the run history (server/runs) of the home given with --from and writes every job and every kept run into the store, in one transaction: all of it or, on an error, nothing. The home is never changed (its files are read from a copy). ' +
      'The store comes from --store, else MXX_STORE, else `store` in config.toml (--config, MXX_CONFIG or ~/.mxx/config.toml), as for `mxx server`; its schema is created or upgraded first. The password is never printed. ' +
      'Refused while a server is using that home (server.pid of a live process): stop it first (mxx shutdown). ' +
      'A job the database already has with the same config and schedule is skipped; one with other content stops the import before anything is written, naming it, unless --replace is given (the runs the database has for it are kept). A run already in the database (same run id) is skipped, so importing twice is harmless. A run left running or queued is imported as interrupted, as the files server would mark it at its next start. Runs are kept per job as policy.history says. ' +
      'Run logs are not copied: they stay in <home>/server/logs, where a server on the store started with that home (MXX_HOME) serves them; elsewhere a run shows the output tail kept in its record. Jobs from job files stay registered only while the server\'s jobs folder holds those files. Import before starting servers on the store, or restart them after.',
    examples: [
      ['Import ~/.mxx into a database', '$0 store import --from ~/.mxx --store postgres://mxx:secret@db.example:5432/mxx'],
      ['Into the store config.toml or MXX_STORE names', '$0 store import'],
      ['Overwrite jobs the database has with other content', '$0 store import --replace'],
      ['The summary as JSON', '$0 store import --json'],
    ],
  });

  from = Option.String('--from', { description: 'The mxx home to read (default: MXX_HOME or ~/.mxx)' });
  store = Option.String('--store', {
    description: 'The PostgreSQL store to write, postgres://user:password@host/db (default: MXX_STORE or config.toml store)',
  });
  config = Option.String('--config', { description: 'Settings file to read `store` from (default: MXX_CONFIG or ~/.mxx/config.toml)' });
  replace = Option.Boolean('--replace', false, { description: 'Overwrite jobs the database already has with another config or schedule' });
  json = Option.Boolean('--json', false, { description: 'Print the summary as JSON' });

  async run(): Promise<number> {
    const env = this.context.env;
    const [{ importFilesHome }, store] = await Promise.all([import('../../src/store/import.js'), this.resolveStore()]);
    const result = await importFilesHome({ store, replace: this.replace, env, ...(this.from === undefined ? {} : { from: this.from }) });
    for (const warning of result.warnings) this.err(this.colors.yellow(`warning: ${warning}`));
    if (this.json) this.out(JSON.stringify(result, null, 2));
    else this.out(summary(result));
    return 0;
  }

  /** --store, else MXX_STORE, else config.toml's `store` (as `mxx server` resolves it). */
  private async resolveStore(): Promise<string> {
    const env = this.context.env;
    const [{ locateConfigFile, readSettingsFile, redactUrl }, { resolvePaths }, { isPostgresStore }] = await Promise.all([
      import('../../src/settings/index.js'),
      import('../../src/paths.js'),
      import('../../src/store/index.js'),
    ]);
    let store: string | undefined;
    let source: string;
    if (this.store !== undefined) {
      [store, source] = [this.store, '--store'];
    } else if (env.MXX_STORE) {
      [store, source] = [env.MXX_STORE, 'env MXX_STORE'];
    } else {
      const file = readSettingsFile(locateConfigFile(this.config, env, resolvePaths({}, env).home), env);
      [store, source] = [file?.store, `file ${file?.path ?? 'config.toml'}`];
    }
    if (store === undefined || store === '') {
      throw new MxxError('CONFIG_INVALID', 'no store to import into', {
        hint: 'pass --store postgres://user:password@host:5432/database, or set MXX_STORE or store in config.toml',
      });
    }
    if (!isPostgresStore(store)) {
      throw new MxxError('CONFIG_INVALID', `store (${source}): expected a postgres:// URL, got ${JSON.stringify(redactUrl(store))}`, {
        hint: 'the import writes into PostgreSQL: postgres://user:password@host:5432/database (or postgresql://…)',
      });
    }
    return store;
  }
}

function summary(r: ImportResult): string {
  const lines = [
    `Imported from ${r.from} into ${r.store}:`,
    `  ${plural(r.jobs.imported.length + r.jobs.replaced.length, 'job')} imported (${r.jobs.identical.length} skipped as identical${r.jobs.replaced.length > 0 ? `, ${r.jobs.replaced.length} replaced: ${r.jobs.replaced.join(', ')}` : ''})`,
    `  ${plural(r.runs.imported, 'run')} imported (${r.runs.existing} already there${r.runs.interrupted > 0 ? `; ${r.runs.interrupted} left running or queued, imported as interrupted` : ''})`,
    `Run logs were not copied: they stay in ${r.logs} (a server on the store with MXX_HOME=${r.from} serves them; elsewhere runs show their output tail).`,
  ];
  if (r.fileJobs.length > 0) {
    lines.push(
      `${plural(r.fileJobs.length, 'job')} come from job files, and stay registered only while the server's jobs folder holds them: ${r.fileJobs.map((j) => `${j.jobId} (${j.file})`).join(', ')}`,
    );
  }
  lines.push(`${r.from} was not changed.`);
  return lines.join('\n');
}

export const STORE_COMMANDS: CommandClass[] = [StoreImportCommand];
