/**
 * The real server as a subprocess (`node dist/cli/bin/mxx.js server --port 0`), its temporary home,
 * job documents for the API, and reading run history back after a clean shutdown.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createHistory, type History } from '../../src/history/index.js';
import { resolvePaths, type MxxPaths } from '../../src/paths.js';
import { toIsoLocal, type RegistryEntry, type RunRecord } from '../../src/records.js';
import { REGISTRY_VERSION } from '../../src/registry/entry.js';
import { callOk, inParallel } from './http.js';
import { makeTempDir, removeTempDir } from './home.js';
import { track } from './procs.js';

export const MXX_BIN = fileURLToPath(new URL('../../cli/bin/mxx.js', import.meta.url));

export interface MxxServerOptions {
  /** Names the temporary home. */
  label: string;
  /** Use this home (a temporary dir the caller prepared) instead of a new one; dispose() removes it too. */
  home?: string;
  maxConcurrency?: number;
  /** Extra arguments for `mxx server`. */
  args?: string[];
  /** Show the server's log. */
  verbose?: boolean;
  startTimeoutMs?: number;
}

/**
 * MXX_BENCH_PROFILE=<dir>: every server the bench starts writes CPU profiles (main thread and
 * workers) there, for `node --cpu-prof`-style analysis of a missed target.
 */
function profileArgs(): string[] {
  const dir = process.env.MXX_BENCH_PROFILE;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
}

export interface MxxServer {
  url: string;
  /** `<url>/api/scheduler` */
  api: string;
  pid: number;
  paths: MxxPaths;
  /** ms from spawning the process to its "listening on" log line. */
  startMs: number;
  log(): string;
  /** SIGTERM, as a user would; resolves when the process has exited (SIGKILL after 20 s). */
  stop(): Promise<void>;
  /** stop() and remove the home. */
  dispose(): Promise<void>;
}

export async function startMxxServer(options: MxxServerOptions): Promise<MxxServer> {
  const home = options.home ?? makeTempDir(options.label);
  const paths = resolvePaths({ home });
  const args = [...profileArgs(), MXX_BIN, 'server', '--host', '127.0.0.1', '--port', '0'];
  if (options.maxConcurrency !== undefined) args.push('--max-concurrency', String(options.maxConcurrency));
  args.push(...(options.args ?? []));
  const env: NodeJS.ProcessEnv = { ...process.env, MXX_HOME: home, NO_COLOR: '1' };
  delete env.MXX_API_TOKEN;
  delete env.MXX_JOBS_DIR;
  const started = performance.now();
  const child = track(spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env }));
  let log = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`mxx server did not start within ${options.startTimeoutMs ?? 60_000} ms:\n${log.slice(-2000)}`)), options.startTimeoutMs ?? 60_000);
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      // Keep the head (start-up) and the tail; a saturated server can log a lot.
      log = log.length > 200_000 ? log.slice(0, 20_000) + '\n…\n' + log.slice(-100_000) + chunk : log + chunk;
      if (options.verbose) process.stderr.write(chunk);
      const match = /listening on (http:\/\/[^\s]+)/.exec(log);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`mxx server exited (${code ?? signal}) before listening:\n${log.slice(-2000)}`));
    });
  });
  const startMs = performance.now() - started;
  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        await exited;
        clearTimeout(timer);
      }
    })());
  return {
    url,
    api: `${url}/api/scheduler`,
    pid: child.pid!,
    paths,
    startMs,
    log: () => log,
    stop,
    async dispose() {
      await stop();
      removeTempDir(home);
    },
  };
}

export interface JobOptions {
  cmd?: string;
  /** Six-field cron expression. */
  cron?: string;
  /** Interval schedule in seconds. */
  every?: number;
  lifetime?: number;
  grace?: number;
  overlap?: 'skip' | 'queue' | 'replace' | 'allow';
  maxInstances?: number;
  history?: number;
  /** The job's [notify] section. */
  notify?: Record<string, unknown>;
}

/** The job document's sections (config) and schedule, as the API and the registry take them. */
export function jobDocument(options: JobOptions): { config: Record<string, unknown>; schedule: Record<string, unknown> | null } {
  const policy: Record<string, unknown> = {};
  if (options.overlap) policy.overlap = options.overlap;
  if (options.maxInstances !== undefined) policy.max_instances = options.maxInstances;
  if (options.history !== undefined) policy.history = options.history;
  const config: Record<string, unknown> = {
    os: { cmd: options.cmd ?? 'true' },
    lifetime: { lifetime: options.lifetime ?? 60, grace: options.grace ?? 1 },
    ...(Object.keys(policy).length ? { policy } : {}),
    ...(options.notify ? { notify: options.notify } : {}),
  };
  const schedule =
    options.cron !== undefined
      ? { trigger: 'cron', cron: options.cron }
      : options.every !== undefined
        ? { trigger: 'interval', seconds: options.every }
        : null;
  return { config, schedule };
}

export function jobBody(id: string, options: JobOptions): Record<string, unknown> {
  const { config, schedule } = jobDocument(options);
  return { job_id: id, config, ...(schedule ? { schedule } : {}), replace_existing: true };
}

/** POSTs the jobs with `inFlight` requests at once; returns the wall time in ms. */
export async function registerJobs(server: MxxServer, bodies: Array<Record<string, unknown>>, inFlight = 8): Promise<number> {
  const started = performance.now();
  await inParallel(bodies.length, inFlight, async (i) => {
    await callOk('POST', `${server.api}/jobs`, bodies[i]);
  });
  return performance.now() - started;
}

/** A registry.json with these jobs, so a server starts with them without the API (fast set-up of 10 000 jobs). */
export function writeRegistry(home: string, jobs: Array<{ id: string; options: JobOptions }>): void {
  const paths = resolvePaths({ home });
  mkdirSync(paths.server, { recursive: true });
  const registeredAt = toIsoLocal(Date.now());
  const entries: RegistryEntry[] = jobs.map(({ id, options }) => {
    const { config, schedule } = jobDocument(options);
    return { job_id: id, config, schedule, source: 'api', registered_at: registeredAt, last_triggered: null, execution_count: 0, paused: false };
  });
  writeFileSync(paths.registry, `${JSON.stringify({ version: REGISTRY_VERSION, entries })}\n`);
}

/** The run history as the server left it (call after stop()): the server's own reader. */
export async function readHistory(paths: MxxPaths): Promise<History> {
  const history = createHistory({ dir: paths.runs });
  await history.load();
  return history;
}

export const ms = (iso: string | null): number | null => (iso === null ? null : Date.parse(iso));

/** started_at − scheduled_at in ms, for runs that started. */
export function lateness(record: RunRecord): number | null {
  const scheduled = ms(record.scheduled_at);
  const started = ms(record.started_at);
  return scheduled === null || started === null ? null : started - scheduled;
}

export const jobId = (prefix: string, i: number): string => `${prefix}-${String(i).padStart(5, '0')}`;

/** POST /jobs/{id}/trigger; resolves with the run id (202 queued counts as triggered). */
export async function trigger(server: MxxServer, id: string): Promise<string> {
  const answer = await callOk<{ run_id: string }>('POST', `${server.api}/jobs/${id}/trigger`);
  return answer.body.run_id;
}

/** Waits until the run has ended and is recorded: GET /runs/{id}/log?follow=true answers then. */
export async function waitForRunEnd(server: MxxServer, runId: string, timeoutMs = 60_000): Promise<void> {
  await callOk('GET', `${server.api}/runs/${runId}/log?follow=true`, undefined, timeoutMs);
}

/** A job's run records over the API, newest first. */
export async function runsOf(server: MxxServer, id: string, limit = 10_000): Promise<RunRecord[]> {
  const answer = await callOk<{ runs: RunRecord[] }>('GET', `${server.api}/jobs/${id}/runs?limit=${limit}`);
  return answer.body.runs;
}

/** A daily cron expression, distinct for i < 1440: spread like a real registry, no two on one second. */
export const dailyCron = (i: number): string => `0 ${i % 60} ${Math.floor(i / 60) % 24} * * *`;

/**
 * Who forks the server's commands: its own threads, or a spawner process? The parent of a running
 * command tells (Linux /proc). Registers and runs one short on-demand job `fork-origin`.
 */
let knownOrigin: 'thread' | 'spawner' | undefined;

export async function forkOrigin(server: MxxServer): Promise<'thread' | 'spawner' | 'unknown'> {
  // Every server of one bench run is the same build: ask once.
  if (knownOrigin) return knownOrigin;
  await callOk('POST', `${server.api}/jobs`, jobBody('fork-origin', { cmd: 'sleep 0.2', lifetime: 5 }));
  const runId = await trigger(server, 'fork-origin');
  let origin: 'thread' | 'spawner' | 'unknown' = 'unknown';
  for (let i = 0; i < 100 && origin === 'unknown'; i++) {
    const record = (await callOk<RunRecord>('GET', `${server.api}/runs/${runId}`)).body;
    if (record.pid !== null) {
      try {
        const stat = readFileSync(`/proc/${record.pid}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        origin = ppid === server.pid ? 'thread' : 'spawner';
      } catch {
        break;
      }
    }
    if (origin === 'unknown') await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await waitForRunEnd(server, runId);
  await callOk('DELETE', `${server.api}/registry/fork-origin`);
  if (origin !== 'unknown') knownOrigin = origin;
  return origin;
}
