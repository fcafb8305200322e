import { Option } from 'clipanion';
import * as t from 'typanion';
import type { HealthBody, JobListBody, JobStatusBody } from '../../src/api/types.js';
import { isMxxError } from '../../src/errors.js';
import { isLoopbackHost } from '../../src/net/loopback.js';
import { ClientCommand } from '../base.js';
import { colorStatus } from '../format/color.js';
import { LOAD_ERROR_FOOTNOTE, LOAD_ERROR_MARK, loadErrorLines } from '../format/load-error.js';
import { describeSchedule } from '../format/schedule.js';
import { renderTable } from '../format/table.js';
import { formatWhen } from '../format/time.js';

type ListType = 'all' | 'active' | 'scheduled';

export default class ListCommand extends ClientCommand {
  static override paths = [['list'], ['ls']];
  static override usage = ClientCommand.Usage({
    category: 'Jobs',
    description: 'List jobs with their schedule, next run and last status',
    details:
      '`--type active` lists only jobs with a run in progress; `--type scheduled` only jobs whose schedule is armed (not on-demand, not cancelled). A job marked `!` runs its last good definition because its file failed to load after an edit (`mxx status ID` shows why); files that failed to load and define no job are listed under the table.\n\n`--offline` reads the jobs folder here, without a server (the folder the server would watch: `--jobs-dir`, MXX_JOBS_DIR, config.toml `jobs_dir`, ~/.mxx/jobs), and shows each file with its schedule, next fires and whether it is valid; it exits 0. Without `--offline`, when a server on this machine cannot be reached, `mxx list` says so, shows the same offline view and exits 3.',
    examples: [
      ['List all jobs', '$0 list'],
      ['List jobs that are running now', '$0 list --type active'],
      ['Read the jobs folder without a server', '$0 list --offline'],
      ['Check another folder', '$0 list --offline --jobs-dir ./jobs'],
    ],
  });

  type = Option.String('--type', 'all', {
    description: 'all, active or scheduled',
    validator: t.isEnum(['all', 'active', 'scheduled'] as const),
  });

  offline = Option.Boolean('--offline', false, {
    description: 'Read the jobs folder here instead of asking the server: schedule, next fires, validity',
  });

  jobsDir = Option.String('--jobs-dir', {
    description: 'The folder the offline view reads (default: MXX_JOBS_DIR, config.toml jobs_dir or ~/.mxx/jobs)',
  });

  config = Option.String('--config', {
    description: 'The settings file whose jobs_dir the offline view reads (default: MXX_CONFIG or ~/.mxx/config.toml)',
  });

  async run(): Promise<number> {
    if (this.offline) return this.showOffline(0);
    let body: JobListBody;
    try {
      ({ body } = await this.client.get<JobListBody>(this.type === 'active' ? '/jobs/active' : '/jobs'));
    } catch (error) {
      // A server elsewhere watches its own folder: this machine's says nothing about it.
      if (!isMxxError(error) || error.code !== 'SERVER_UNREACHABLE' || !isLoopbackHost(new URL(this.client.server).hostname)) throw error;
      return this.showOffline(this.report(error));
    }
    const jobs = this.type === 'scheduled' ? body.jobs.filter((j) => j.scheduled) : body.jobs;
    if (this.printJson(this.type === 'scheduled' ? { ...body, jobs, count: jobs.length } : body)) return 0;
    const orphans = this.type === 'all' ? await this.brokenFilesWithoutJob(jobs) : [];
    if (jobs.length === 0) {
      this.out(this.type === 'all' ? 'no jobs (add a file to ~/.mxx/jobs or run: mxx register FILE)' : `no ${this.type} jobs`);
    } else {
      this.out(this.table(jobs));
    }
    const c = this.colors;
    if (jobs.some((j) => j.load_error)) this.out(c.red(LOAD_ERROR_MARK) + LOAD_ERROR_FOOTNOTE.slice(LOAD_ERROR_MARK.length));
    if (orphans.length > 0) {
      this.out('files that failed to load and define no job (mxx health lists them too):');
      for (const text of orphans.flatMap(loadErrorLines)) this.out(`  ${c.red(text)}`);
    }
    return 0;
  }

  private table(jobs: JobStatusBody[]): string {
    const c = this.colors;
    const now = Date.now();
    const rows = jobs.map((j) => [
      c.bold(j.job_id) + (j.load_error ? c.red(LOAD_ERROR_MARK) : ''),
      describeSchedule(j.schedule) + (j.paused ? c.yellow(' (cancelled)') : ''),
      j.next_run_time ? formatWhen(j.next_run_time, now) : '-',
      colorStatus(c, j.status),
      String(j.execution_count),
    ]);
    return renderTable(['JOB', 'SCHEDULE', 'NEXT RUN', 'LAST STATUS', { header: 'RUNS', right: true }], rows, c);
  }

  /** Broken files of /health that no listed job marks (a new file with an error, a second file for one id). */
  private async brokenFilesWithoutJob(jobs: JobStatusBody[]): Promise<HealthBody['load_error_files']> {
    const marked = new Set(jobs.flatMap((j) => (j.load_error ? [j.load_error.file] : [])));
    // The listing is the answer; a /health that fails only leaves its footnote out.
    const health = await this.client.get<HealthBody>('/health').catch(() => undefined);
    return (health?.body.load_error_files ?? []).filter(({ file }) => !marked.has(file));
  }

  /** Prints the offline view and returns `code`; after an unreachable server (code 3) a problem reading the folder is reported too. */
  private async showOffline(code: number): Promise<number> {
    try {
      // Loaded here: the job parsers and schedule code are only for the offline view.
      const { readOfflineListing, renderOfflineView } = await import('../offline/index.js');
      const body = await readOfflineListing({ jobsDir: this.jobsDir, configFile: this.config }, this.context.env);
      const jobs = offlineJobsOfType(body.jobs, this.type);
      if (this.printJson({ ...body, jobs, count: jobs.length })) return code;
      const empty = this.type === 'active' ? 'no active jobs: nothing runs without a server' : this.type === 'scheduled' ? 'no scheduled jobs' : undefined;
      this.out(renderOfflineView(body, jobs, this.colors, empty === undefined ? {} : { empty }));
    } catch (error) {
      if (code === 0) throw error;
      this.report(error);
    }
    return code;
  }
}

function offlineJobsOfType<T extends { valid: boolean; on_demand: boolean }>(jobs: T[], type: ListType): T[] {
  if (type === 'active') return [];
  return type === 'scheduled' ? jobs.filter((j) => j.valid && !j.on_demand) : jobs;
}
