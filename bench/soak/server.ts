/**
 * One life of the real server (`node dist/cli/bin/mxx-server.js --port P`): started on the soak's
 * fixed port, sampled (fds, RSS of the server and its spawners) while it is up, and ended by the
 * soak with SIGKILL (a crash) or SIGTERM (a clean stop), or on its own (a finding).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { childrenOf, cmdline, fdTargets, rssKb } from './procfs.js';

export const SERVER_BIN = fileURLToPath(new URL('../../cli/bin/mxx-server.js', import.meta.url));

export interface Sample {
  at: number;
  fds: number;
  /**
   * Open history files (`server/runs/*.jsonl`): a bounded cache (a busy job keeps its file open
   * until it has been idle 5 s, at most 256), so they swing with the schedule and are not a leak.
   */
  historyFds: number;
  /** Server plus its spawner processes, in kB. */
  rssKb: number;
  spawners: number;
}

export type EndCause = 'kill9' | 'term' | 'self';

export interface ServerLife {
  n: number;
  pid: number;
  spawnedAt: number;
  readyAt: number | null;
  endedAt: number | null;
  /** Set by the soak before it signals; 'self' if the server exited on its own. */
  cause: EndCause | null;
  exit: { code: number | null; signal: NodeJS.Signals | null } | null;
  samples: Sample[];
  /** Resolves at the "listening on" line; rejects if the process exits first or takes too long. */
  ready: Promise<void>;
  exited: Promise<void>;
  logTail(): string;
}

export interface ServerSetup {
  home: string;
  port: number;
  soakId: string;
  verbose: boolean;
  sampleMs: number;
  startTimeoutMs: number;
}

export function startLife(setup: ServerSetup, n: number, track: (child: ChildProcess) => void): ServerLife {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: setup.home, MXX_HOME: setup.home, NO_COLOR: '1', SOAK_SERVER: setup.soakId };
  for (const name of ['MXX_API_TOKEN', 'MXX_JOBS_DIR', 'MXX_SERVER_PORT', 'MXX_SERVER_HOST', 'MXX_CONFIG', 'MXX_STORE']) delete env[name];
  const child = spawn(process.execPath, [SERVER_BIN, '--host', '127.0.0.1', '--port', String(setup.port)], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(child);
  let tail = '';
  const life: ServerLife = {
    n,
    pid: child.pid ?? -1,
    spawnedAt: Date.now(),
    readyAt: null,
    endedAt: null,
    cause: null,
    exit: null,
    samples: [],
    ready: Promise.resolve(),
    exited: Promise.resolve(),
    logTail: () => tail,
  };
  let onReady: () => void = () => {};
  let onEarlyExit: (error: Error) => void = () => {};
  life.ready = new Promise<void>((resolve, reject) => {
    onReady = resolve;
    onEarlyExit = reject;
  });
  // Nobody may be waiting on ready (a life killed during start-up).
  life.ready.catch(() => undefined);
  const onText = (chunk: string): void => {
    tail = (tail + chunk).slice(-64_000);
    if (setup.verbose) process.stderr.write(chunk.replace(/^(?=.)/gm, `[life ${n}] `));
    if (life.readyAt === null && /listening on http/.test(tail)) {
      life.readyAt = Date.now();
      onReady();
    }
  };
  child.stdout!.setEncoding('utf8').on('data', onText);
  child.stderr!.setEncoding('utf8').on('data', onText);
  const timer = setTimeout(() => onEarlyExit(new Error(`life ${n}: no "listening on" line within ${setup.startTimeoutMs} ms`)), setup.startTimeoutMs);
  const sampler = setInterval(() => {
    if (life.readyAt !== null && life.endedAt === null) {
      const sample = sampleServer(life.pid);
      if (sample) life.samples.push(sample);
    }
  }, setup.sampleMs);
  life.exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      clearInterval(sampler);
      life.endedAt = Date.now();
      life.exit = { code, signal };
      life.cause ??= 'self';
      onEarlyExit(new Error(`life ${n}: server exited (${code ?? signal}) before it was listening:\n${tail.slice(-1500)}`));
      resolve();
    });
  });
  return life;
}

export function sampleServer(pid: number): Sample | null {
  const targets = fdTargets(pid);
  const rss = rssKb(pid);
  if (targets.length === 0 || rss === null) return null;
  const historyFds = targets.filter((target) => /\/server\/runs\/[^/]+\.jsonl$/.test(target)).length;
  let total = rss;
  let spawners = 0;
  for (const child of childrenOf(pid)) {
    if (!cmdline(child).includes('spawner')) continue;
    total += rssKb(child) ?? 0;
    spawners++;
  }
  return { at: Date.now(), fds: targets.length, historyFds, rssKb: total, spawners };
}

/** A crash, as the issue asks: no chance to persist or stop anything. */
export async function killLife(life: ServerLife): Promise<void> {
  if (life.exit) return;
  life.cause = 'kill9';
  process.kill(life.pid, 'SIGKILL');
  await life.exited;
}

/** A clean stop. Resolves with how long it took; SIGKILL after `limitMs` (then the caller reports it). */
export async function stopLife(life: ServerLife, limitMs: number): Promise<{ ms: number; forced: boolean }> {
  const started = Date.now();
  if (life.exit) return { ms: 0, forced: false };
  life.cause = 'term';
  process.kill(life.pid, 'SIGTERM');
  let forced = false;
  const timer = setTimeout(() => {
    forced = true;
    try {
      process.kill(life.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }, limitMs);
  await life.exited;
  clearTimeout(timer);
  return { ms: Date.now() - started, forced };
}
