/** Linux /proc readings: memory of a process (tree), and whether a run's process group is dead. */
import { readdirSync, readFileSync } from 'node:fs';

/** Resident set size in MB, worker threads included; null off Linux or once the process is gone. */
export function rssMb(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** Linux: the pids whose process group is `pgid` (zombies included). */
export function groupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const state = procState(Number(entry));
    if (state?.pgrp === pgid) members.push(Number(entry));
  }
  return members;
}

/** State letter and process group of a pid, or null once it is gone. */
export function procState(pid: number): { state: string; pgrp: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: state!, pgrp: Number(pgrp) };
  } catch {
    return null;
  }
}

/** Whether none of these pids is a live process any more (gone, or a zombie waiting to be reaped). */
export function allDead(pids: number[]): boolean {
  return pids.every((pid) => {
    const s = procState(pid);
    return s === null || s.state === 'Z' || s.state === 'X';
  });
}

/** Polls every ~1 ms until the group's members are all dead; resolves with Date.now() then. */
export async function whenGroupDead(pgid: number, timeoutMs = 30_000): Promise<number> {
  let members = groupMembers(pgid);
  const giveUpAt = Date.now() + timeoutMs;
  for (let i = 0; Date.now() < giveUpAt; i++) {
    // The shell may fork its child a moment after we first look.
    if (i % 50 === 0) members = [...new Set([...members, ...groupMembers(pgid)])];
    if (allDead(members)) return Date.now();
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  throw new Error(`process group ${pgid} still alive after ${timeoutMs} ms`);
}

/** RSS of a process and all its descendants, in MB (Linux). */
export function treeRssMb(pid: number): number | null {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // gone
    }
  }
  let total = 0;
  const queue = [pid];
  for (let at = queue.shift(); at !== undefined; at = queue.shift()) {
    total += rssMb(at) ?? 0;
    queue.push(...(children.get(at) ?? []));
  }
  return total || null;
}

/** CPU time of a process, ms: its own threads (`self`) and its reaped children (`children`). Null once gone. */
export function cpuMs(pid: number): { self: number; children: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command: state is field 3, utime 14, stime 15, cutime 16, cstime 17 (1-based).
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    const tick = 1000 / CLOCK_TICKS;
    return { self: (f[11]! + f[12]!) * tick, children: (f[13]! + f[14]!) * tick };
  } catch {
    return null;
  }
}

/** USER_HZ: 100 on every Linux this runs on (the kernel's fixed userspace tick). */
const CLOCK_TICKS = 100;

/** The pids of a process's direct children (Linux). */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      if (text) out.push(...text.split(' ').map(Number));
    }
  } catch {
    // gone
  }
  return out;
}

/**
 * CPU spent by a server and its helper processes, ms: the server's own threads (`server`), its
 * long-lived children (spawner processes: `helpers`) and what those reaped (the runs: `runs`).
 */
export function serverCpuMs(pid: number): { server: number; helpers: number; runs: number } | null {
  const own = cpuMs(pid);
  if (!own) return null;
  let helpers = 0;
  let runs = own.children;
  for (const child of childPids(pid)) {
    const c = cpuMs(child);
    if (!c) continue;
    helpers += c.self;
    runs += c.children;
  }
  return { server: own.self, helpers, runs };
}
