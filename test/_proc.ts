/**
 * Asking the OS about processes, independently of the code under test: /proc on Linux, `ps`
 * elsewhere. Zombies count as gone (killed grandchildren wait for PID 1 to reap them).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { waitFor } from './_server.js';

interface ProcessInfo {
  pid: number;
  pgid: number;
  state: string;
  name: string;
}

function listProcesses(): ProcessInfo[] {
  if (process.platform === 'linux') {
    const list: ProcessInfo[] = [];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      } catch {
        continue;
      }
      const open = stat.indexOf('(');
      const close = stat.lastIndexOf(')');
      const [state = '', , pgid = ''] = stat.slice(close + 2).split(' ');
      list.push({ pid: Number(entry), pgid: Number(pgid), state, name: stat.slice(open + 1, close) });
    }
    return list;
  }
  const out = execFileSync('ps', ['-A', '-o', 'pid=,pgid=,stat=,comm='], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields.length >= 4)
    .map(([pid, pgid, state, ...name]) => ({ pid: Number(pid), pgid: Number(pgid), state: state ?? '', name: (name.join(' ').split('/').pop() ?? '') }));
}

const live = (info: ProcessInfo): boolean => !info.state.startsWith('Z') && info.state !== 'X';

export function isPidAlive(pid: number): boolean {
  return listProcesses().some((info) => info.pid === pid && live(info));
}

/** Live members of a process group. */
export function groupMembers(pgid: number): number[] {
  return listProcesses()
    .filter((info) => info.pgid === pgid && live(info))
    .map((info) => info.pid);
}

/** Live processes with this name (Linux truncates names to 15 bytes). */
export function processesNamed(name: string): number[] {
  const wanted = process.platform === 'linux' ? name.slice(0, 15) : name;
  return listProcesses()
    .filter((info) => info.name === wanted && live(info))
    .map((info) => info.pid);
}

/** Whether the group has no live member within `timeoutMs` (false if it still has: for clean-ups that report). */
export function waitGroupGone(pgid: number, timeoutMs = 3_000): Promise<boolean> {
  return gone(() => groupMembers(pgid).length === 0, timeoutMs, `process group ${pgid} to be gone`);
}

/** Whether the process is gone within `timeoutMs`. */
export function waitPidGone(pid: number, timeoutMs = 3_000): Promise<boolean> {
  return gone(() => !isPidAlive(pid), timeoutMs, `pid ${pid} to be gone`);
}

function gone(check: () => boolean, timeoutMs: number, what: string): Promise<boolean> {
  return waitFor(check, timeoutMs, what).then(
    () => true,
    () => false,
  );
}

/** Kills whatever is left of the groups (after a failed assertion), so one test cannot leak into the next. */
export function killGroups(pgids: Iterable<number>): void {
  for (const pgid of pgids) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

/** Live processes (not zombies) whose environment holds MXX_RUN_ID=<runId>, read from /proc (Linux). */
export function runCarriers(runId: string): number[] {
  return carriersOf(new Set([runId])).map(({ pid }) => pid);
}

/** One /proc pass: the live processes whose environment holds MXX_RUN_ID=<one of runIds> (Linux). */
export function carriersOf(runIds: ReadonlySet<string>): { pid: number; runId: string }[] {
  if (process.platform !== 'linux') return [];
  const found: { pid: number; runId: string }[] = [];
  for (const info of listProcesses()) {
    if (!live(info)) continue;
    let environ: string;
    try {
      environ = readFileSync(`/proc/${info.pid}/environ`, 'latin1');
    } catch {
      continue; // gone meanwhile, or not ours to read
    }
    const runId = environ.split('\0').find((variable) => variable.startsWith('MXX_RUN_ID='))?.slice('MXX_RUN_ID='.length);
    if (runId !== undefined && runIds.has(runId)) found.push({ pid: info.pid, runId });
  }
  return found;
}
