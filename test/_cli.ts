/** Helpers for CLI tests: run the built CLI (dist/) as a subprocess with a temporary HOME, start a real server. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export type Binary = 'mxx' | 'mxx-client' | 'mxx-server';
export const binPath = (bin: Binary): string => join(ROOT, 'dist', 'cli', 'bin', `${bin}.js`);

const children = new Set<ChildProcess>();

/** Child processes started by these helpers that have not exited yet (assert it is 0 in afterAll). */
export function liveChildren(): number {
  return children.size;
}

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

export interface TempHome {
  /** The temporary folder; HOME is this folder, MXX_HOME is `<dir>/.mxx`. */
  dir: string;
  env: NodeJS.ProcessEnv;
  /** Writes a file into the folder and returns its path. */
  write(name: string, text: string): Promise<string>;
  cleanup(): Promise<void>;
}

export async function createTempHome(): Promise<TempHome> {
  const dir = await mkdtemp(join(tmpdir(), 'mxx-cli-'));
  const env: NodeJS.ProcessEnv = {};
  // A clean environment: nothing from the developer's mxx setup or colour settings leaks in.
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('MXX_') || k === 'NO_COLOR' || k === 'FORCE_COLOR') continue;
    env[k] = v;
  }
  Object.assign(env, { HOME: dir, MXX_HOME: join(dir, '.mxx'), TERM: 'xterm-256color' });
  return {
    dir,
    env,
    async write(name, text) {
      const path = join(dir, name);
      await writeFile(path, text);
      return path;
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  bin?: Binary;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** @default 20000 */
  timeoutMs?: number;
}

/** Runs `node dist/cli/bin/<bin>.js ...args` to completion (stdout is a pipe, not a TTY). */
export function runCli(args: string[], options: RunOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = track(
      spawn(process.execPath, [binPath(options.bin ?? 'mxx'), ...args], {
        cwd: options.cwd ?? ROOT,
        env: options.env ?? process.env,
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`mxx ${args.join(' ')} did not finish in time\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, options.timeoutMs ?? 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** Everything the server printed so far (its log). */
  output(): string;
  /** SIGTERM, then wait for exit; resolves the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `mxx server --port 0` (or `mxx-server --port 0`) and reads its URL from the `listening on` log line. */
export function startServerProcess(home: TempHome, options: { bin?: 'mxx' | 'mxx-server'; args?: string[] } = {}): Promise<ServerProcess> {
  const bin = options.bin ?? 'mxx';
  const args = [...(bin === 'mxx' ? ['server'] : []), '--port', '0', ...(options.args ?? [])];
  const child = track(spawn(process.execPath, [binPath(bin), ...args], { env: home.env, stdio: ['ignore', 'pipe', 'pipe'] }));
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the server did not say "listening on" in time:\n${output}`));
    }, 20_000);
    const onData = (d: string): void => {
      output += d;
      const m = /listening on (http:\/\/[^\s]+)/.exec(output);
      if (!m) return;
      clearTimeout(timer);
      resolve({
        url: (m[1] as string).replace(/\/+$/, ''),
        child,
        output: () => output,
        async stop() {
          // A server asked to shut down through the API is exiting by itself: a SIGTERM could land
          // in Node's teardown, where the default action applies, and report a clean stop as killed.
          const exiting = /shutdown requested through the API|server stopped/.test(output);
          if (child.exitCode === null && child.signalCode === null && !exiting) child.kill('SIGTERM');
          const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
          const code = await exited;
          clearTimeout(kill);
          return code;
        },
      });
    };
    child.stdout?.setEncoding('utf8').on('data', onData);
    child.stderr?.setEncoding('utf8').on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code}) before listening:\n${output}`));
    });
  });
}

/** GET <server>/api/scheduler<path> as JSON, to compare with what the CLI prints. */
export async function api<T = unknown>(url: string, path: string): Promise<T> {
  const res = await fetch(`${url}/api/scheduler${path}`);
  return (await res.json()) as T;
}

// eslint-disable-next-line no-control-regex
export const ANSI = /\u001b\[/;
