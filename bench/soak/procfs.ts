/** Linux /proc readings the soak needs: fd counts, RSS, children, and processes carrying an env marker. */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface ProcInfo {
  pid: number;
  ppid: number;
  state: string;
  comm: string;
}

function pids(): number[] {
  try {
    return readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map(Number);
  } catch {
    return [];
  }
}

export function procInfo(pid: number): ProcInfo | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const [state = '', ppid = '0'] = stat.slice(close + 2).split(' ');
    return { pid, ppid: Number(ppid), state, comm: stat.slice(stat.indexOf('(') + 1, close) };
  } catch {
    return null;
  }
}

/** Zombies and dead entries are gone for our purposes: PID 1 reaps them a moment later. */
export const isLive = (info: ProcInfo | null): info is ProcInfo => info !== null && info.state !== 'Z' && info.state !== 'X';

export function fdCount(pid: number): number | null {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return null;
  }
}

export function rssKb(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return '';
  }
}

export function childrenOf(pid: number): number[] {
  return pids().filter((child) => procInfo(child)?.ppid === pid);
}

export function environ(pid: number): Map<string, string> | null {
  try {
    const env = new Map<string, string>();
    for (const entry of readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0')) {
      const eq = entry.indexOf('=');
      if (eq > 0) env.set(entry.slice(0, eq), entry.slice(eq + 1));
    }
    return env;
  } catch {
    return null;
  }
}

export interface MarkedProcess {
  pid: number;
  cmd: string;
  env: Map<string, string>;
}

/** Live processes whose environment holds `name=value` (the soak's runs, daemons, server, spawners). */
export function processesWithEnv(name: string, value: string): MarkedProcess[] {
  const found: MarkedProcess[] = [];
  for (const pid of pids()) {
    if (pid === process.pid) continue;
    const env = environ(pid);
    if (env?.get(name) !== value || !isLive(procInfo(pid))) continue;
    found.push({ pid, cmd: cmdline(pid), env });
  }
  return found;
}

/** What an fd points at, for the evidence of an fd leak (`socket:[…]`, a path). */
export function fdTargets(pid: number): string[] {
  try {
    return readdirSync(`/proc/${pid}/fd`).map((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        return '?';
      }
    });
  } catch {
    return [];
  }
}
