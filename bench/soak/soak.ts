/**
 * The soak's phases: write the job files, start the server, register the API jobs, then until the
 * deadline kill -9 the server every 5–20 s and restart it while changes are in flight, with a
 * full disk during one life (every sixth in long runs); then a clean stop, a final clean start
 * whose registry is read back, and a final clean stop.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { send } from './client.js';
import { registerOverApi, startChurn, writeJobFile, type ChurnContext } from './churn.js';
import type { StartFailure } from './checks/server.js';
import type { ServedEntry } from './checks/definitions.js';
import { createSoakDirs, fillDisk, type Filler, type SoakDirs } from './home.js';
import { Ledger } from './ledger.js';
import { createRandom, type SoakOptions } from './options.js';
import { createPlan, type SoakPlan } from './plan.js';
import { freeLocalPort } from '../lib/free-port.js';
import { killLife, startLife, stopLife, type ServerLife, type ServerSetup } from './server.js';

export interface DiskPhase {
  life: number;
  from: number;
  to: number;
  bytes: number;
}

export interface SoakRun {
  plan: SoakPlan;
  dirs: SoakDirs;
  ledger: Ledger;
  lives: ServerLife[];
  startFailures: StartFailure[];
  slowStops: string[];
  disk: DiskPhase[];
  /** When each accounted API job was first acknowledged. */
  firstAck: Map<string, number>;
  served: ServedEntry[];
  finalStopAt: number;
  churnSteps: { api: number; file: number };
}

export interface SoakHooks {
  log(message: string): void;
  track(child: ChildProcess): void;
  /** The filler in place, so the caller can release it on an interrupt. */
  holding(filler: Filler | null): void;
}

const STOP_LIMIT_MS = 30_000;

export async function runSoak(options: SoakOptions, soakId: string, hooks: SoakHooks): Promise<SoakRun> {
  const { log } = hooks;
  const kills = createRandom(options.seed);
  const dirs = createSoakDirs(options.quick ? 96 : 384);
  log(dirs.tmpfsRefused ? `home ${dirs.home} is a plain folder (${dirs.tmpfsRefused}): the full-disk phase is skipped` : `home ${dirs.home}: tmpfs of ${dirs.sizeMb} MB`);
  const plan = createPlan(options.jobs, options.seconds + 90, soakId, dirs.marks);
  const jobsDir = join(dirs.home, 'jobs');
  mkdirSync(jobsDir, { recursive: true });
  const ledger = new Ledger();
  const run: SoakRun = { plan, dirs, ledger, lives: [], startFailures: [], slowStops: [], disk: [], firstAck: new Map(), served: [], finalStopAt: 0, churnSteps: { api: 0, file: 0 } };
  plan.jobs.forEach((job, i) => {
    if (job.via === 'file' && (job.churn !== 'toggle' || i % 2 === 0)) writeJobFile({ plan, ledger, jobsDir }, job);
  });
  const port = await freeLocalPort();
  const api = `http://127.0.0.1:${port}/api/scheduler`;
  const setup: ServerSetup = { home: dirs.home, port, soakId, verbose: options.verbose, sampleMs: options.quick ? 1_000 : 3_000, startTimeoutMs: 120_000 };
  let current: ServerLife | null = null;
  let filler: Filler | null = null;

  const launch = async (): Promise<ServerLife> => {
    for (let attempt = 1; ; attempt++) {
      const life = startLife(setup, run.lives.length + 1, hooks.track);
      run.lives.push(life);
      current = life;
      try {
        await life.ready;
        log(`life ${life.n} up (pid ${life.pid}) in ${((life.readyAt! - life.spawnedAt) / 1000).toFixed(1)} s`);
        return life;
      } catch (error) {
        run.startFailures.push({ life: life.n, at: Date.now(), diskFull: filler !== null, error: (error as Error).message });
        log(`life ${life.n} did not come up${filler ? ' (disk full)' : ''}: ${(error as Error).message.split('\n')[0]}`);
        if (!life.exit) await killLife(life);
        if (attempt >= 20) throw new Error(`the server did not come up in 20 tries; last: ${(error as Error).message}`);
        await delay(1_000);
      }
    }
  };

  const ctx: ChurnContext = {
    plan,
    ledger,
    random: createRandom(options.seed + 1),
    api,
    jobsDir,
    isStarting: () => current !== null && current.readyAt === null && current.exit === null,
  };

  await launch();
  // The accounted API jobs must be in from the start; a refusal (503, a restart) is retried.
  const initial = plan.jobs.filter((job, i) => job.via === 'api' && (job.churn !== 'toggle' || i % 2 === 0));
  for (let i = 0; i < initial.length; i += 4) {
    await Promise.all(
      initial.slice(i, i + 4).map(async (job) => {
        for (let attempt = 0; attempt < 100; attempt++) {
          if ((await registerOverApi(ctx, job)).kind === 'ok') {
            if (job.churn !== 'toggle') run.firstAck.set(job.id, Date.now());
            return;
          }
          await delay(200);
        }
      }),
    );
  }
  log(`registered ${run.firstAck.size} API jobs; chaos for ${options.seconds} s`);

  const churn = startChurn(ctx);
  const deadline = Date.now() + options.seconds * 1000;
  const holdMs = options.quick ? 5_000 : 20_000;
  const fullDiskLife = (n: number): boolean => dirs.tmpfsRefused === null && n >= 2 && (n - 2) % 6 === 0;
  try {
    while (deadline - Date.now() > 3_000) {
      const life = current as ServerLife | null;
      if (!life) break;
      let upMs = kills.between(5_000, 20_000);
      const withDisk = fullDiskLife(life.n) && !run.disk.some((d) => d.life === life.n);
      if (withDisk) upMs = Math.max(upMs, 2_000 + holdMs + 3_000);
      upMs = Math.min(upMs, deadline - Date.now());
      const phases: Array<Promise<unknown>> = [Promise.race([delay(upMs), life.exited])];
      if (withDisk) {
        phases.push(
          (async () => {
            await Promise.race([delay(2_000), life.exited]);
            const from = Date.now();
            hooks.holding((filler = fillDisk(dirs.home, dirs.sizeMb * 2)));
            log(`disk full: ${(filler.bytes / 2 ** 20).toFixed(1)} MB written until ENOSPC; holding ${holdMs / 1000} s`);
            await delay(holdMs);
            filler.release();
            run.disk.push({ life: life.n, from, to: Date.now(), bytes: filler.bytes });
            hooks.holding((filler = null));
            log('disk freed');
          })(),
        );
      }
      await Promise.all(phases);
      if (life.exit) {
        log(`life ${life.n} exited on its own (${life.exit.code ?? life.exit.signal})`);
      } else if (deadline - Date.now() > 3_000) {
        await killLife(life);
        log(`life ${life.n} killed (-9) after ${((Date.now() - life.readyAt!) / 1000).toFixed(1)} s up`);
        await delay(kills.between(0, 3_000));
      } else {
        break;
      }
      await launch();
    }
  } finally {
    (filler as Filler | null)?.release();
    hooks.holding(null);
    await churn.stop();
    run.churnSteps = { ...churn.steps };
  }

  // The final clean restart: stop cleanly, start again, read what the server holds, stop cleanly.
  const last = current as ServerLife | null;
  if (last && !last.exit) await cleanStop(run, last, log);
  const final = await launch();
  // Long enough for steady samples past the warm-up (verify.ts) and a full cycle of the 30 s jobs.
  await Promise.race([delay(options.quick ? 14_000 : 40_000), final.exited]);
  for (let attempt = 0; attempt < 50 && run.served.length === 0; attempt++) {
    const answer = await send(api, 'GET', '/registry?type=all', undefined, 60_000);
    if (answer.kind === 'ok') run.served = (answer.body as { jobs: ServedEntry[] }).jobs;
    else await delay(200);
  }
  run.finalStopAt = Date.now();
  await cleanStop(run, final, log);
  return run;
}

async function cleanStop(run: SoakRun, life: ServerLife, log: (message: string) => void): Promise<void> {
  const { ms, forced } = await stopLife(life, STOP_LIMIT_MS);
  log(`life ${life.n} stopped cleanly in ${(ms / 1000).toFixed(1)} s${forced ? ' — only after SIGKILL' : ''}`);
  if (forced) run.slowStops.push(`life ${life.n}: SIGTERM did not stop it within ${STOP_LIMIT_MS / 1000} s`);
  else if (life.exit?.code !== 0) run.slowStops.push(`life ${life.n}: clean stop exited with ${life.exit?.code ?? life.exit?.signal}, not 0`);
}
