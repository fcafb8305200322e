/**
 * The soak's jobs: a mix of schedule classes (mostly every 5 s or slower, so 1000 jobs stay light on
 * two cores) and behaviours (succeed, fail, overrun the lifetime, leave a daemon behind). Every
 * class fires on a fixed grid, `t ≡ phase (mod period)`, so the checks know each job's fires without
 * asking the server: intervals carry a `start_date` on a whole minute, cron fields divide 60 s.
 */

export type JobKind = 'ok' | 'fail' | 'overrun' | 'daemon';
export type ChurnKind = 'none' | 'edit' | 'toggle';

export interface ScheduleClass {
  name: string;
  periodS: number;
  phaseS: number;
  /** Share of the jobs (the rest after rounding goes to every-20s). */
  share: number;
  /** The schedule section; `anchor` is an ISO instant on a whole minute. */
  schedule(anchor: string): Record<string, unknown>;
}

export const CLASSES: readonly ScheduleClass[] = [
  { name: 'every-1s', periodS: 1, phaseS: 0, share: 0.02, schedule: (anchor) => ({ trigger: 'interval', seconds: 1, start_date: anchor }) },
  { name: 'cron-2s', periodS: 2, phaseS: 0, share: 0.03, schedule: () => ({ trigger: 'cron', second: '*/2' }) },
  { name: 'every-5s', periodS: 5, phaseS: 0, share: 0.35, schedule: (anchor) => ({ trigger: 'interval', seconds: 5, start_date: anchor }) },
  { name: 'cron-10s', periodS: 10, phaseS: 0, share: 0.1, schedule: () => ({ trigger: 'cron', cron: '*/10 * * * * *' }) },
  { name: 'every-20s', periodS: 20, phaseS: 0, share: 0.3, schedule: (anchor) => ({ trigger: 'interval', seconds: 20, start_date: anchor }) },
  { name: 'cron-30s', periodS: 30, phaseS: 0, share: 0.15, schedule: () => ({ trigger: 'cron', second: '*/30' }) },
  { name: 'cron-1m', periodS: 60, phaseS: 15, share: 0.05, schedule: () => ({ trigger: 'cron', minute: '*', second: 15 }) },
];

export interface PlannedJob {
  id: string;
  via: 'file' | 'api';
  kind: JobKind;
  /** edit: rewritten/re-registered with the same schedule; toggle: added and removed (not accounted). */
  churn: ChurnKind;
  cls: ScheduleClass;
  schedule: Record<string, unknown>;
  lifetime: number;
  history: number;
}

export interface SoakPlan {
  jobs: PlannedJob[];
  soakId: string;
  marksDir: string;
  anchor: string;
  /** Counts by class, kind, source and churn, for the report. */
  sizes: Record<string, number>;
}

export function kindOf(i: number, cls: ScheduleClass): JobKind {
  const slot = i % 50;
  if (slot <= 2) return 'fail';
  if (slot <= 4) return 'overrun';
  // A daemon that mxx failed to end lives 100 s: on the fast classes they would pile up.
  if (slot === 5 && cls.periodS >= 10) return 'daemon';
  return 'ok';
}

export function createPlan(total: number, totalSeconds: number, soakId: string, marksDir: string, now = Date.now()): SoakPlan {
  const anchor = new Date(Math.floor(now / 60_000) * 60_000 - 60_000).toISOString();
  const toggles = Math.max(5, Math.round(total / 50));
  const scheduled = total - 2 * toggles;
  const counts = CLASSES.map((cls) => Math.max(5, Math.round(cls.share * scheduled)));
  const twenty = CLASSES.findIndex((cls) => cls.name === 'every-20s');
  counts[twenty] = Math.max(5, counts[twenty]! + scheduled - counts.reduce((a, b) => a + b, 0));
  const jobs: PlannedJob[] = [];
  // Enough history that nothing is pruned during the soak: the fire checks read every record.
  const historyFor = (cls: ScheduleClass): number => Math.ceil(totalSeconds / cls.periodS) * 2 + 50;
  CLASSES.forEach((cls, c) => {
    for (let i = 0; i < counts[c]!; i++) {
      const via = i % 10 === 9 ? 'api' : 'file';
      const kind = kindOf(i, cls);
      jobs.push({
        id: `${via === 'api' ? 'a' : 'f'}-${cls.name}-${String(i).padStart(4, '0')}`,
        via,
        kind,
        churn: i % 7 === 3 ? 'edit' : 'none',
        cls,
        schedule: cls.schedule(anchor),
        lifetime: kind === 'overrun' ? (cls.periodS <= 2 ? 1 : 2) : 10,
        history: historyFor(cls),
      });
    }
  });
  const slow = CLASSES[twenty]!;
  for (const via of ['file', 'api'] as const) {
    for (let i = 0; i < toggles; i++) {
      jobs.push({
        id: `t${via === 'api' ? 'a' : 'f'}-${String(i).padStart(4, '0')}`,
        via,
        kind: 'ok',
        churn: 'toggle',
        cls: slow,
        schedule: slow.schedule(anchor),
        lifetime: 10,
        history: historyFor(slow),
      });
    }
  }
  const sizes: Record<string, number> = { jobs: jobs.length };
  const count = (key: string): void => void (sizes[key] = (sizes[key] ?? 0) + 1);
  for (const job of jobs) {
    count(`class ${job.cls.name}`);
    count(`kind ${job.kind}`);
    count(`via ${job.via}`);
    count(`churn ${job.churn}`);
  }
  return { jobs, soakId, marksDir, anchor, sizes };
}

/** Fires per second the plan asks of the server. */
export function firesPerSecond(plan: SoakPlan): number {
  return plan.jobs.reduce((sum, job) => sum + 1 / job.cls.periodS, 0);
}

export function commandOf(job: PlannedJob, version: number): string {
  // The marker line is the ground truth of which fires really started a process (and how often).
  const mark = `: v${version}; echo "$MXX_SCHEDULED_AT $MXX_RUN_ID" >> "$SOAK_MARKS/$MXX_JOB_ID"`;
  switch (job.kind) {
    case 'ok':
      return `${mark}; echo ok`;
    case 'fail':
      return `${mark}; echo failing >&2; exit 1`;
    case 'overrun':
      return `${mark}; sleep 60`;
    case 'daemon':
      return `${mark}; setsid sleep 100 >/dev/null 2>&1 </dev/null &`;
  }
}

/** The job document's sections as the API takes them (and the registry stores them). */
export function configOf(job: PlannedJob, version: number, plan: SoakPlan): Record<string, unknown> {
  return {
    lifetime: { lifetime: job.lifetime, grace: 1 },
    os: { cmd: commandOf(job, version), env: { SOAK_ID: plan.soakId, SOAK_MARKS: plan.marksDir } },
    policy: { history: job.history },
  };
}

export function apiBody(job: PlannedJob, version: number, plan: SoakPlan): Record<string, unknown> {
  return { job_id: job.id, config: configOf(job, version, plan), schedule: job.schedule, replace_existing: true };
}

const tomlValue = (value: unknown): string => (typeof value === 'string' ? JSON.stringify(value) : String(value));

export function tomlOf(job: PlannedJob, version: number, plan: SoakPlan): string {
  const lines = [
    `# soak ${plan.soakId}: ${job.cls.name}, ${job.kind}, version ${version}`,
    '[lifetime]',
    `lifetime = ${job.lifetime}`,
    'grace = 1',
    '',
    '[os]',
    `cmd = ${tomlValue(commandOf(job, version))}`,
    `env = { SOAK_ID = ${tomlValue(plan.soakId)}, SOAK_MARKS = ${tomlValue(plan.marksDir)} }`,
    '',
    '[policy]',
    `history = ${job.history}`,
    '',
    '[schedule]',
    ...Object.entries(job.schedule).map(([key, value]) => `${key} = ${tomlValue(value)}`),
    '',
  ];
  return lines.join('\n');
}

/** The job's fires in [fromMs, toMs], ascending. */
export function firesBetween(cls: ScheduleClass, fromMs: number, toMs: number): number[] {
  const period = cls.periodS * 1000;
  const phase = cls.phaseS * 1000;
  const out: number[] = [];
  for (let t = Math.ceil((fromMs - phase) / period) * period + phase; t <= toMs; t += period) out.push(t);
  return out;
}

export function isFire(cls: ScheduleClass, ms: number): boolean {
  return (((ms - cls.phaseS * 1000) % (cls.periodS * 1000)) + cls.periodS * 1000) % (cls.periodS * 1000) === 0;
}
