/** The built server in a process of its own, as users run it (`mxx-server`), on a free port. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SERVER_BIN = join(ROOT, 'dist', 'cli', 'bin', 'mxx-server.js');
const children = new Set<ChildProcess>();

/** SIGKILLs every server process still running (call in afterAll). */
export function killServerProcesses(): void {
  for (const child of children) child.kill('SIGKILL');
}

export interface ServerProcess {
  child: ChildProcess;
  port: number;
  exited: Promise<number | null>;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<number | null>;
}

export function startServerProcess(home: string, port: number, env: NodeJS.ProcessEnv = {}): ServerProcess {
  const child = spawn(process.execPath, [SERVER_BIN, '--port', String(port)], {
    env: { ...process.env, HOME: home, MXX_HOME: home, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let text = '';
  child.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      children.delete(child);
      resolve(code);
    }),
  );
  return {
    child,
    port,
    exited,
    output: () => text,
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

export interface Answer {
  status: number;
  body: any;
  retryAfter: string | null;
}

/** One API request; null while nothing listens on the port. */
export async function request(port: number, method: string, path: string, json?: unknown): Promise<Answer | null> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/api/scheduler${path}`, {
      method,
      ...(json === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(json) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, retryAfter: res.headers.get('retry-after') };
  } catch {
    return null;
  }
}
