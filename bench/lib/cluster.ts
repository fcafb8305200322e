/**
 * Fleets for the cluster scenario: one files-store server, or N `mxx server --store postgres://…`
 * processes on one database, each with its own home (MXX_HOME) and jobs folder. Jobs go into the
 * database before the servers start (`importFilesHome`, what `mxx store import` runs), as the files
 * server gets them from its registry.json: no registration over the API on either side.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { defaultNodeId } from '../../src/cluster/node-id.js';
import { resolvePaths } from '../../src/paths.js';
import { toIsoLocal, type RegistryEntry, type RunRecord } from '../../src/records.js';
import { REGISTRY_VERSION } from '../../src/registry/entry.js';
import { importFilesHome } from '../../src/store/import.js';
import { callOk, inParallel } from './http.js';
import { makeTempDir, removeTempDir } from './home.js';
import { jobDocument, startMxxServer, type JobOptions, type MxxServer } from './mxx.js';
import type { BenchPostgres } from './postgres.js';

/** A job for the registry: the bench's JobOptions, with a command that may be an argv (no shell). */
export interface FleetJob {
  id: string;
  options: JobOptions;
  argv?: string[];
}

export function writeRegistryEntries(home: string, jobs: FleetJob[]): void {
  const paths = resolvePaths({ home });
  mkdirSync(paths.server, { recursive: true });
  const registeredAt = toIsoLocal(Date.now());
  const entries: RegistryEntry[] = jobs.map(({ id, options, argv }) => {
    const { config, schedule } = jobDocument(options);
    if (argv) config.os = { cmd: argv };
    return { job_id: id, config, schedule, source: 'api', registered_at: registeredAt, last_triggered: null, execution_count: 0, paused: false };
  });
  writeFileSync(paths.registry, `${JSON.stringify({ version: REGISTRY_VERSION, entries })}\n`);
}

export interface ClusterServer {
  /** The live process (a new one after restart()). */
  server: MxxServer;
  home: string;
  nodeId: string;
  /** SIGKILL, and wait for the process to be gone. */
  kill9(): Promise<void>;
  /** Starts a new process on the same home (the same node id: it rejoins). */
  restart(): Promise<void>;
  alive(): boolean;
}

export interface Fleet {
  kind: 'files' | 'cluster';
  members: ClusterServer[];
  /** The database URL (cluster only). */
  store: string | null;
  /** SIGTERM every live server; homes are left for the runner's clean-up. */
  stop(): Promise<void>;
}

export interface FleetOptions {
  label: string;
  jobs: FleetJob[];
  verbose: boolean;
  /** Cluster only. */
  pg?: BenchPostgres;
  servers?: number;
  leaseMs?: number;
}

/**
 * `startMxxServer` takes its environment from process.env when it spawns (synchronously, before its
 * first await): the store and the lease go in for that one call.
 */
function startWithEnv(label: string, home: string, env: Record<string, string>, verbose: boolean): Promise<MxxServer> {
  const saved = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]));
  Object.assign(process.env, env);
  try {
    return startMxxServer({ label, home, verbose });
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}

async function member(label: string, home: string, env: Record<string, string>, verbose: boolean): Promise<ClusterServer> {
  let server = await startWithEnv(label, home, env, verbose);
  let killed = false;
  return {
    get server() {
      return server;
    },
    home,
    nodeId: defaultNodeId(home),
    async kill9() {
      killed = true;
      process.kill(server.pid, 'SIGKILL');
      // stop() waits for the exit (its SIGTERM reaches a process already dying).
      await server.stop();
    },
    async restart() {
      server = await startWithEnv(label, home, env, verbose);
      killed = false;
    },
    alive: () => !killed,
  };
}

export async function startFleet(options: FleetOptions): Promise<Fleet> {
  if (!options.pg) {
    const home = makeTempDir(`${options.label}-files`);
    writeRegistryEntries(home, options.jobs);
    const one = await member(`${options.label}-files`, home, { MXX_STORE: '' }, options.verbose);
    return { kind: 'files', members: [one], store: null, stop: () => one.server.stop() };
  }
  const store = await options.pg.createDatabase(options.label);
  const source = makeTempDir(`${options.label}-source`);
  writeRegistryEntries(source, options.jobs);
  await importFilesHome({ from: source, store });
  removeTempDir(source);
  const env = { MXX_STORE: store, MXX_LEASE_MS: String(options.leaseMs ?? 15_000) };
  const homes = Array.from({ length: options.servers ?? 3 }, (_, i) => makeTempDir(`${options.label}-node${i}`));
  const members: ClusterServer[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(members.map((m) => m.server.stop()));
  };
  try {
    for (const [i, home] of homes.entries()) members.push(await member(`${options.label}-node${i}`, home, env, options.verbose));
  } catch (error) {
    await stop();
    throw error;
  }
  return { kind: 'cluster', members, store, stop };
}

/** The run records of these jobs through one server's API (GET /jobs/{id}/runs), all of them. */
export async function fleetRuns(server: MxxServer, ids: string[]): Promise<RunRecord[]> {
  const out: RunRecord[] = [];
  await inParallel(ids.length, 8, async (i) => {
    const answer = await callOk<{ runs: RunRecord[] }>('GET', `${server.api}/jobs/${ids[i]}/runs?limit=10000`, undefined, 60_000);
    out.push(...answer.body.runs);
  });
  return out;
}

/**
 * Processes still running with one of these homes in their environment (MXX_HOME): what a
 * SIGKILLed server may have left (its spawners, its runs). Linux /proc.
 */
export function leftoverProcesses(homes: string[]): number[] {
  const wanted = homes.map((home) => Buffer.from(`MXX_HOME=${home}\0`));
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let environ: Buffer;
    try {
      environ = readFileSync(`/proc/${entry}/environ`);
    } catch {
      continue;
    }
    if (wanted.some((w) => environ.includes(w))) pids.push(Number(entry));
  }
  return pids;
}

/**
 * A command that appends one line `<job id> <scheduled instant> <its own start, ns> <run id>` to
 * `file`: the job, fire and run from the run's environment (MXX_JOB_ID, MXX_SCHEDULED_AT,
 * MXX_RUN_ID), the time from
 * `date +%s%N` inside the run (a fork of the run's shell: the same cost on every side).
 */
export function fireLineCmd(file: string): string {
  return `echo "$MXX_JOB_ID $MXX_SCHEDULED_AT $(date +%s%N) $MXX_RUN_ID" >> '${file}'`;
}

export interface FireLine {
  jobId: string;
  /** The scheduled instant, epoch ms. */
  scheduledMs: number;
  /** The command's own start, epoch ms (sub-ms). */
  startedMs: number;
  runId: string;
}

/** The lines fireLineCmd wrote (a missing file is no lines; a torn last line is skipped). */
export function readFireLines(file: string): FireLine[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const out: FireLine[] = [];
  for (const line of text.split('\n')) {
    const [jobId, iso, ns, runId = ''] = line.trim().split(' ');
    if (!jobId || !iso || !ns || !/^\d+$/.test(ns)) continue;
    const scheduledMs = Date.parse(iso);
    if (Number.isNaN(scheduledMs)) continue;
    const big = BigInt(ns);
    out.push({ jobId, scheduledMs, startedMs: Number(big / 1000n) / 1000, runId });
  }
  return out;
}
