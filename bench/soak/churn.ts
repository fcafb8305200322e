/**
 * Changes in flight while the server is killed and restarted: API registrations (re-registering
 * accounted jobs with a new version, adding and removing toggle jobs) and job-file edits (rewrites
 * by rename, removals, re-creations). Every change goes through the ledger; a refusal is simply
 * tried again on a later pick. While a life is starting, the API lane sends every 20 ms, so
 * registrations land in the start-up window.
 */
import { renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { send, type Outcome } from './client.js';
import { absent, present, type Ledger } from './ledger.js';
import { apiBody, commandOf, tomlOf, type PlannedJob, type SoakPlan } from './plan.js';
import type { Random } from './options.js';

export interface ChurnContext {
  plan: SoakPlan;
  ledger: Ledger;
  random: Random;
  /** `http://127.0.0.1:<port>/api/scheduler` */
  api: string;
  jobsDir: string;
  isStarting(): boolean;
}

const versions = new Map<string, number>();
const nextVersion = (id: string): number => {
  const v = (versions.get(id) ?? 0) + 1;
  versions.set(id, v);
  return v;
};

export function jobFilePath(jobsDir: string, job: PlannedJob): string {
  return join(jobsDir, `${job.id}.toml`);
}

/** An editor's save: a dotfile (ignored by the watcher) renamed over the job file. */
export function writeJobFile(ctx: Pick<ChurnContext, 'plan' | 'ledger' | 'jobsDir'>, job: PlannedJob): boolean {
  const version = nextVersion(job.id);
  const file = jobFilePath(ctx.jobsDir, job);
  const tmp = join(ctx.jobsDir, `.${job.id}.toml.soak-tmp`);
  ctx.ledger.counts.fileWrites++;
  try {
    writeFileSync(tmp, tomlOf(job, version, ctx.plan));
    renameSync(tmp, file);
  } catch {
    ctx.ledger.counts.fileWriteErrors++;
    try {
      unlinkSync(tmp);
    } catch {
      // never written
    }
    return false;
  }
  ctx.ledger.ack(job.id, 'file', present(commandOf(job, version)));
  return true;
}

function removeJobFile(ctx: ChurnContext, job: PlannedJob): void {
  try {
    unlinkSync(jobFilePath(ctx.jobsDir, job));
    ctx.ledger.ack(job.id, 'file', absent());
  } catch {
    // already gone
  }
}

export async function registerOverApi(ctx: Pick<ChurnContext, 'plan' | 'ledger' | 'api'>, job: PlannedJob): Promise<Outcome> {
  const version = nextVersion(job.id);
  const outcome = await send(ctx.api, 'POST', '/jobs', apiBody(job, version, ctx.plan));
  ctx.ledger.apiChange(job.id, present(commandOf(job, version)), outcome);
  return outcome;
}

async function unregisterOverApi(ctx: ChurnContext, job: PlannedJob): Promise<void> {
  const outcome = await send(ctx.api, 'DELETE', `/registry/${job.id}`);
  ctx.ledger.apiChange(job.id, absent(), outcome);
}

const isPresent = (ctx: ChurnContext, job: PlannedJob): boolean => ctx.ledger.entries.get(job.id)?.acked.present ?? false;

async function apiStep(ctx: ChurnContext, edits: PlannedJob[], toggles: PlannedJob[]): Promise<void> {
  if (ctx.random.next() < 0.5 && edits.length > 0) {
    await registerOverApi(ctx, ctx.random.pick(edits));
    return;
  }
  const job = ctx.random.pick(toggles);
  if (isPresent(ctx, job)) await unregisterOverApi(ctx, job);
  else await registerOverApi(ctx, job);
}

function fileStep(ctx: ChurnContext, edits: PlannedJob[], toggles: PlannedJob[]): void {
  if (ctx.random.next() < 0.6 && edits.length > 0) {
    writeJobFile(ctx, ctx.random.pick(edits));
    return;
  }
  const job = ctx.random.pick(toggles);
  if (isPresent(ctx, job)) removeJobFile(ctx, job);
  else writeJobFile(ctx, job);
}

export interface Churn {
  /** Lets the change in flight finish, then stops. */
  stop(): Promise<void>;
  readonly steps: { api: number; file: number };
}

export function startChurn(ctx: ChurnContext): Churn {
  const of = (via: 'api' | 'file', churn: 'edit' | 'toggle'): PlannedJob[] => ctx.plan.jobs.filter((j) => j.via === via && j.churn === churn);
  const steps = { api: 0, file: 0 };
  let stopped = false;
  const apiLane = (async () => {
    const edits = of('api', 'edit');
    const toggles = of('api', 'toggle');
    while (!stopped) {
      await apiStep(ctx, edits, toggles);
      steps.api++;
      await delay(ctx.isStarting() ? 20 : ctx.random.between(100, 300));
    }
  })();
  const fileLane = (async () => {
    const edits = of('file', 'edit');
    const toggles = of('file', 'toggle');
    while (!stopped) {
      fileStep(ctx, edits, toggles);
      steps.file++;
      await delay(ctx.random.between(200, 500));
    }
  })();
  return {
    steps,
    async stop() {
      stopped = true;
      await Promise.all([apiLane, fileLane]);
    },
  };
}
