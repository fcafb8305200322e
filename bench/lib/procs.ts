/**
 * Child processes of the bench: agents (baselines that must not share our event loop), servers,
 * and spawned commands. Everything started here is tracked and killed on the way out.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const live = new Set<ChildProcess>();

export function track(child: ChildProcess): ChildProcess {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** Last resort on exit: SIGKILL whatever is still running (servers are stopped gracefully before). */
export function killAllTracked(): void {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // gone
    }
  }
  live.clear();
}

/** The spawn a run worker does (workers/spawn-run.ts): own process group, output piped. */
export const WORKER_LIKE_SPAWN: SpawnOptions = { detached: true, stdio: ['ignore', 'pipe', 'pipe'] };

/** Spawns `/bin/sh -c cmd` like a run worker does; resolves when it has exited and its pipes closed. */
export function spawnLikeWorker(cmd: string): { child: ChildProcess; closed: Promise<number | null> } {
  const child = spawn('/bin/sh', ['-c', cmd], WORKER_LIKE_SPAWN);
  child.stdout?.resume();
  child.stderr?.resume();
  const closed = new Promise<number | null>((resolve) => {
    child.once('error', () => resolve(null));
    child.once('close', (code) => resolve(code));
  });
  return { child, closed };
}

export function agentPath(name: string): string {
  return fileURLToPath(new URL(`../agents/${name}.js`, import.meta.url));
}

export interface AgentOptions {
  timeoutMs: number;
  /** Show the agent's stderr as it comes. */
  verbose?: boolean;
  /**
   * A session of its own (setsid): with the kernel's autogroup scheduling (on here), nice only
   * ranks processes within one session, so an agent that must yield the CPU to everything else
   * needs its own session and sets that group's nice (/proc/self/autogroup).
   */
  ownSession?: boolean;
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs a bench agent (a compiled `bench/agents/<name>.js`) in its own process with `input` as JSON
 * in argv, and returns the JSON it prints as its last stdout line.
 */
export function runAgent<T>(name: string, input: unknown, options: AgentOptions): Promise<T> {
  const child = track(
    spawn(process.execPath, [agentPath(name), JSON.stringify(input)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: options.env ?? process.env,
      detached: options.ownSession === true,
    }),
  );
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    if (options.verbose) process.stderr.write(`[${name}] ${chunk}`);
  });
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`agent ${name} took longer than ${options.timeoutMs} ms`));
    }, options.timeoutMs);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const last = stdout.trim().split('\n').at(-1) ?? '';
      if (code !== 0) {
        reject(new Error(`agent ${name} exited with ${code ?? signal}: ${stderr.trim().split('\n').slice(-5).join(' | ')}`));
        return;
      }
      try {
        resolve(JSON.parse(last) as T);
      } catch {
        reject(new Error(`agent ${name} printed no JSON result: ${last.slice(0, 200)}`));
      }
    });
  });
}

/** For agents: reads the JSON input and prints the result as the last line. */
export function agentInput<T>(): T {
  return JSON.parse(process.argv[2] ?? '{}') as T;
}

export function agentOutput(result: unknown): void {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

export interface AgentServer {
  /** The JSON the agent printed once ready. */
  ready: Record<string, unknown>;
  pid: number;
  stop(): Promise<void>;
}

/** Starts a long-running agent (a server) and resolves once it printed its first JSON line. */
export function startAgentServer(name: string, input: unknown, timeoutMs = 30_000): Promise<AgentServer> {
  const child = track(spawn(process.execPath, [agentPath(name), JSON.stringify(input)], { stdio: ['ignore', 'pipe', 'pipe'] }));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stdout = '';
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise<AgentServer>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`agent ${name} not ready within ${timeoutMs} ms: ${stderr.slice(-500)}`));
    }, timeoutMs);
    child.once('exit', (code) => reject(new Error(`agent ${name} exited (${code}) before it was ready: ${stderr.slice(-500)}`)));
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const newline = stdout.indexOf('\n');
      if (newline < 0) return;
      clearTimeout(timer);
      resolve({
        ready: JSON.parse(stdout.slice(0, newline)) as Record<string, unknown>,
        pid: child.pid!,
        async stop() {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
          await exited;
          clearTimeout(timer);
        },
      });
    });
  });
}
