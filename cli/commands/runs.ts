import { Option, UsageError } from 'clipanion';
import * as t from 'typanion';
import type { RunListBody, RunsBody } from '../../src/api/types.js';
import type { RunRecord } from '../../src/records.js';
import { ClientCommand } from '../base.js';
import { seg } from '../client.js';
import { colorStatus, type Colors } from '../format/color.js';
import { renderTable } from '../format/table.js';
import { formatAbsolute, formatDuration } from '../format/time.js';

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * `--since`: an ISO 8601 time or a span back from now (`90s`, `30m`, `2h`, `1d`, `1w`), sent as an
 * instant. A time without an offset is this machine's local time (a bare date too: its midnight).
 */
export function parseSince(value: string, now = Date.now()): string {
  const text = value.trim();
  const span = /^(\d+(?:\.\d+)?)([smhdw])$/.exec(text);
  if (span) return new Date(now - Number(span[1]) * UNIT_MS[span[2]!]!).toISOString();
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(text) ? Date.parse(`${text}T00:00`) : /^\d{4}-\d{2}-\d{2}[T ]/i.test(text) ? Date.parse(text) : Number.NaN;
  if (!Number.isNaN(ms)) return new Date(ms).toISOString();
  throw new UsageError(`--since ${JSON.stringify(value)} is neither an ISO 8601 time (2026-11-26T20:15:00Z) nor a span back from now (30m, 2h, 1d)`);
}

/** Each value of a repeatable flag may also be a comma list. */
const commaList = (values: string[] | undefined): string[] => (values ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);

export default class RunsCommand extends ClientCommand {
  static override paths = [['runs']];
  static override usage = ClientCommand.Usage({
    category: 'Runs',
    description: 'Show run history, newest first: of one job, or of all jobs',
    details: [
      'One line per run: id, what started it (schedule, manual, retry), start, duration, outcome and exit code. Without an id, the runs of every job, with a JOB column; newest first means in the order the runs were fired or triggered.',
      '',
      '`--job` and `--status` may be repeated or given comma lists. `--since` takes an ISO 8601 time or a span back from now (`30m`, `2h`, `1d`). When more runs match than are shown, the last line says how to see the next page (`--before RUN`). `--json` prints the API answer.',
    ].join('\n'),
    examples: [
      ['Recent runs of a job', '$0 runs daily_backup'],
      ['The last 5 runs', '$0 runs daily_backup --limit 5'],
      ['Recent runs of all jobs', '$0 runs'],
      ['Failed or timed-out runs of the last day', '$0 runs --status failed,timed_out --since 1d'],
      ['Runs of two jobs', '$0 runs --job backup --job report'],
    ],
  });

  limit = Option.String('--limit,-n', {
    description: "Show at most N runs (default: the server's default)",
    validator: t.cascade(t.isNumber(), [t.isInteger(), t.isAtLeast(1)]),
  });
  jobs = Option.Array('--job', { description: 'Only runs of this job (repeatable, or a comma list)' });
  statuses = Option.Array('--status', { description: 'Only runs with this status (repeatable, or a comma list)' });
  since = Option.String('--since', { description: 'Only runs fired at or after this time (ISO 8601, or 30m, 2h, 1d ago)' });
  before = Option.String('--before', { description: 'The page after this run id' });
  id = Option.String({ name: 'id', required: false });

  async run(): Promise<number> {
    const jobs = commaList(this.jobs);
    const statuses = commaList(this.statuses);
    const allJobs = this.id === undefined || jobs.length > 0 || statuses.length > 0 || this.since !== undefined || this.before !== undefined;
    if (!allJobs && this.id !== undefined) return this.jobRuns(this.id);
    const query = {
      job: [...(this.id === undefined ? [] : [this.id]), ...jobs].join(',') || undefined,
      status: statuses.join(',') || undefined,
      since: this.since === undefined ? undefined : parseSince(this.since),
      before: this.before,
      limit: this.limit,
    };
    const { body } = await this.client.get<RunListBody>('/runs', query);
    if (this.printJson(body)) return 0;
    if (body.runs.length === 0) {
      this.out(query.job || query.status || query.since || query.before ? 'no runs match' : 'no runs yet (start one with: mxx trigger ID)');
      return 0;
    }
    // Runs of the one job asked for look as `mxx runs ID` always did.
    const withJob = this.id === undefined || jobs.length > 0;
    this.out(this.table(body.runs, withJob));
    if (body.next_before) this.out(this.colors.dim(`more runs: add --before ${body.next_before}`));
    return 0;
  }

  private async jobRuns(id: string): Promise<number> {
    const { body } = await this.client.get<RunsBody>(`/jobs/${seg(id)}/runs`, { limit: this.limit });
    if (this.printJson(body)) return 0;
    if (body.runs.length === 0) {
      this.out(`no runs of ${id} yet (start one with: mxx trigger ${id})`);
      return 0;
    }
    this.out(this.table(body.runs, false));
    return 0;
  }

  private table(runs: RunRecord[], withJob: boolean): string {
    const c: Colors = this.colors;
    // Several servers on one store: which one ran each run (records of one server carry no node).
    const withNode = runs.some((r) => r.node !== undefined);
    const rows = runs.map((r) => [
      r.run_id,
      ...(withJob ? [c.bold(r.job_id)] : []),
      ...(withNode ? [r.node ?? '-'] : []),
      r.trigger,
      formatAbsolute(r.started_at ?? r.scheduled_at ?? '-', true),
      formatDuration(r.duration_ms),
      colorStatus(c, r.status),
      r.exit_code !== null ? String(r.exit_code) : (r.signal ?? '-'),
    ]);
    const columns = ['RUN', ...(withJob ? ['JOB'] : []), ...(withNode ? ['NODE'] : []), 'TRIGGER', 'STARTED', 'DURATION', 'STATUS', { header: 'EXIT', right: true }];
    return renderTable(columns, rows, c);
  }
}
