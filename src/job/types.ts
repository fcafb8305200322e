/** Typed job definitions: what `parseJobDocument` produces from a file, an API body or `mxx validate`. */

export type OverlapPolicy = 'skip' | 'queue' | 'replace' | 'allow';

export interface JobPolicy {
  /** @default 'skip' */
  overlap: OverlapPolicy;
  /** Concurrent runs allowed with overlap = 'allow'. @default 1 */
  max_instances: number;
  /** Re-runs after failure or timeout. @default 0 */
  retries: number;
  /** Seconds before the first retry, doubled per attempt. @default 5 */
  retry_delay: number;
  /** Seconds; a fire later than this is recorded as missed. @default 60 */
  misfire_grace_time: number;
  /** Runs kept in this job's history. @default 100 */
  history: number;
  /** Jobs of one group never run at the same time. */
  group?: string;
}

export interface JobLifetime {
  /** Seconds; absent = no time limit. */
  lifetime?: number;
  /** Seconds between SIGTERM and SIGKILL. @default 5 */
  grace: number;
}

export interface JobCommand {
  /** A string runs through `/bin/sh -c`; an array runs without a shell. */
  cmd: string | string[];
  cwd?: string;
  env: Record<string, string>;
  /** Process names to end when the run ends. */
  kill?: string[];
}

/** Fields shared by every trigger. */
export interface TriggerCommon {
  /** ISO 8601 instant (a date without offset is read in `timezone`, else the machine's zone). */
  start_date?: string;
  end_date?: string;
  /** Seconds of random delay added to each fire. */
  jitter?: number;
}

export type CronFieldName = 'year' | 'month' | 'day' | 'week' | 'day_of_week' | 'hour' | 'minute' | 'second';

export interface CronSchedule extends TriggerCommon {
  trigger: 'cron';
  /** Field form (APScheduler semantics); values as given (number or field string). */
  fields?: Partial<Record<CronFieldName, string | number>>;
  /** Expression form: 5 or 6 fields, standard cron meaning (0 = Sunday). */
  cron?: string;
  /** IANA zone; absent = the machine's zone. */
  timezone?: string;
}

export interface IntervalSchedule extends TriggerCommon {
  trigger: 'interval';
  /** The summed interval in milliseconds (> 0). */
  interval_ms: number;
  timezone?: string;
}

export interface DateSchedule extends TriggerCommon {
  trigger: 'date';
  /** ISO 8601 instant. */
  run_date: string;
  timezone?: string;
}

export type ScheduleSpec = CronSchedule | IntervalSchedule | DateSchedule;

/** A raw job document as written: sections of plain values (schedule kept apart). */
export type JobDocument = Record<string, unknown>;

export interface JobDefinition {
  id: string;
  lifetime: JobLifetime;
  os: JobCommand;
  /** Absent = on-demand job. */
  schedule?: ScheduleSpec;
  policy: JobPolicy;
  /** The `[notify]` section as written (merged with config.toml's defaults when a run ends). */
  notify?: NotifySpec;
  /** The `[placement]` section: the labels a server must have to run the job (SPEC §15). */
  placement?: PlacementSpec;
  /** The document's sections as written, without `schedule` (stored in the registry as `config`). */
  config: JobDocument;
  /** The `schedule` section as written, or null (stored in the registry as `schedule`). */
  scheduleDoc: Record<string, unknown> | null;
}

/** A `[placement]` section: every label a server must have (deduplicated, at least one). */
export interface PlacementSpec {
  labels: string[];
}

/** One problem found in a document. `path` is the key path, e.g. `schedule.minuet`. */
export interface ValidationIssue {
  path: string;
  message: string;
  /** 1-based, for syntax errors. */
  line?: number;
  column?: number;
}

/** What a notification may be sent for: a run's outcome, or `recovered` (SPEC §12). */
export const NOTIFY_EVENTS = ['started', 'completed', 'failed', 'timed_out', 'cancelled', 'interrupted', 'skipped', 'missed', 'recovered'] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

/** A `[notify]` section as written: every key optional, so defaults can fill the rest. */
export interface NotifySpec {
  enabled?: boolean;
  on?: NotifyEvent[];
  /** http(s) URL that gets a JSON POST. */
  webhook?: string;
  headers?: Record<string, string>;
  /** A string runs through `/bin/sh -c`; an array runs without a shell. */
  cmd?: string | string[];
  /** Seconds the cmd may run. */
  lifetime?: number;
}
