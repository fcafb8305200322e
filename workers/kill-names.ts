/**
 * The `kill` option: processes named so are ended when the run ends, wherever they live. They
 * are the ones a launcher leaves behind outside the run's process group (daemons, `setsid`,
 * apps started through a desktop or service manager).
 */
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { isPidAlive, POLL_MS } from './kill-group.js';

const isWindows = process.platform === 'win32';
const isLinux = process.platform === 'linux';

/** Never signalled: this process, and the server when we run inside its spawner process. */
const spared = new Set<number>([process.pid]);

/** `kill = "node"` must not take the server down with the app: spare `pid` too. */
export function spareProcess(pid: number): void {
  if (Number.isInteger(pid) && pid > 1) spared.add(pid);
}

/** Whether `pid` must never be signalled by a run's clean-up (pid 1, this process, the server). */
export function isSpared(pid: number): boolean {
  return pid <= 1 || spared.has(pid);
}

/** Linux keeps 15 bytes of a process name in `comm`; longer names match on their first 15. */
const COMM_LENGTH = 15;

/** SIGTERM to every process with one of `names`, SIGKILL to those still alive after `graceMs`. */
export async function endNamedProcesses(names: readonly string[], graceMs: number): Promise<void> {
  // The spawners are the server's own processes (named so in spawner.ts), never a job's app.
  const wanted = names.filter((name) => name.length > 0 && name !== 'mxx-spawner');
  if (wanted.length === 0) return;
  if (isWindows) {
    await Promise.all(wanted.map((name) => run('taskkill', ['/IM', name.endsWith('.exe') ? name : `${name}.exe`, '/T', '/F'])));
    return;
  }
  const find = isLinux ? () => findByComm(wanted) : () => findWithPgrep(wanted);
  let pids = await find();
  if (pids.length === 0) return;
  signalAll(pids, 'SIGTERM');
  const killAt = performance.now() + graceMs;
  while (performance.now() < killAt) {
    await delay(Math.min(POLL_MS, Math.max(0, killAt - performance.now())));
    pids = await alive(pids, isLinux);
    if (pids.length === 0) return;
  }
  // Only the processes we asked to end: one started meanwhile under that name is not ours to kill.
  signalAll(await alive(pids, isLinux), 'SIGKILL');
}

function signalAll(pids: readonly number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    if (spared.has(pid)) continue;
    try {
      process.kill(pid, signal);
    } catch {
      // Gone already, or not ours (EPERM): nothing more to do for it.
    }
  }
}

async function findByComm(names: readonly string[]): Promise<number[]> {
  const wanted = new Set(names.map((name) => name.slice(0, COMM_LENGTH)));
  const entries = await readdir('/proc').catch(() => [] as string[]);
  const found = await Promise.all(
    entries.map(async (entry) => {
      if (!/^\d+$/.test(entry) || spared.has(Number(entry))) return undefined;
      const comm = await readFile(`/proc/${entry}/comm`, 'utf8').catch(() => '');
      return wanted.has(comm.trimEnd()) && (await isLinuxPidAlive(Number(entry))) ? Number(entry) : undefined;
    }),
  );
  return found.filter((pid): pid is number => pid !== undefined);
}

async function findWithPgrep(names: readonly string[]): Promise<number[]> {
  const lists = await Promise.all(names.map((name) => run('pgrep', ['-x', name])));
  return lists
    .flatMap((out) => out.split('\n'))
    .map(Number)
    .filter((pid) => Number.isInteger(pid) && pid > 0 && !spared.has(pid));
}

async function alive(pids: readonly number[], linux: boolean): Promise<number[]> {
  const checks = await Promise.all(pids.map((pid) => (linux ? isLinuxPidAlive(pid) : isPidAlive(pid))));
  return pids.filter((_, index) => checks[index]);
}

/** A zombie has ended; only its parent's wait() is missing. */
async function isLinuxPidAlive(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== '' && state !== 'Z' && state !== 'X';
}

/** Runs a helper and resolves with its stdout; a failure (no match, no such tool) is empty output. */
function run(program: string, args: string[]): Promise<string> {
  return new Promise((resolve) => {
    execFile(program, args, { windowsHide: true }, (_error, stdout) => resolve(String(stdout ?? '')));
  });
}
