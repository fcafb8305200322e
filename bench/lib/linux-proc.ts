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
