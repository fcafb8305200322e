/**
 * Ending a run's process group. Every run is spawned detached, so its pid is also its process
 * group id, and signalling `-pgid` reaches the shell, its children and background grandchildren.
 */
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';

const isWindows = process.platform === 'win32';
const isLinux = process.platform === 'linux';

/** How often a dying group is looked at; also bounds how late the SIGKILL after grace can be. */
export const POLL_MS = 20;
/** SIGKILL cannot be refused, but a process in uninterruptible sleep takes its time: don't wait forever. */
const AFTER_KILL_WAIT_MS = 5_000;

/** Sends `signal` to every member of the group. False when nothing could be signalled. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  if (isWindows) {
    // No process groups to signal: taskkill walks the tree instead (best effort, always forceful).
    spawn('taskkill', ['/pid', String(pgid), '/T', '/F'], { stdio: 'ignore', windowsHide: true }).on('error', () => {});
    return true;
  }
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    // ESRCH: the group is gone. EPERM: what is left is not ours to signal; nothing we can do.
    return false;
  }
}

/**
 * Whether the group still has a live member. Zombies do not count: killed grandchildren are
 * re-parented to PID 1, which may reap them only seconds later, and they hold nothing.
 */
export async function isGroupAlive(pgid: number): Promise<boolean> {
  if (isWindows) return isPidAlive(pgid);
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (!isLinux) return true;
  return (await scanProcessGroups()).has(pgid);
}

/**
 * What signal 0 says of `pid`: a process we may signal, one that exists but is not ours to
 * signal (EPERM: another user's), or none. A zombie still counts as a process here.
 */
export function probePid(pid: number): 'ours' | 'foreign' | 'gone' {
  try {
    process.kill(pid, 0);
    return 'ours';
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? 'foreign' : 'gone';
  }
}

/** Whether `pid` is a process we can still signal (one we may not signal, we cannot end either). */
export function isPidAlive(pid: number): boolean {
  return probePid(pid) === 'ours';
}

/**
 * Ends the group: SIGTERM, then SIGKILL once `graceMs` has passed with something still alive.
 * With `termSentAt`, the SIGTERM was already sent then (a lifetime or stop deadline) and the
 * grace counts from it. Resolves once the group has no live member (or we gave up waiting).
 */
export async function endGroup(pgid: number, graceMs: number, termSentAt?: number): Promise<void> {
  if (termSentAt === undefined) {
    if (!(await isGroupAlive(pgid))) return;
    termSentAt = Date.now();
    signalGroup(pgid, 'SIGTERM');
  }
  // Counted on the monotonic clock: a wall-clock jump must neither skip the grace nor stretch it.
  const graceLeft = Math.min(graceMs, Math.max(0, termSentAt + graceMs - Date.now()));
  const killAt = performance.now() + graceLeft;
  while (performance.now() < killAt) {
    if (!(await isGroupAlive(pgid))) return;
    await delay(Math.min(POLL_MS, Math.max(0, killAt - performance.now())));
  }
  await killGroup(pgid);
}

/**
 * SIGKILL to the group at once, no grace (its supervisor died, or the grace is over). Resolves
 * once the group has no live member, or after a few seconds if the kernel is slow to let go.
 */
export async function killGroup(pgid: number): Promise<void> {
  if (!signalGroup(pgid, 'SIGKILL')) return;
  const giveUpAt = performance.now() + AFTER_KILL_WAIT_MS;
  while (performance.now() < giveUpAt && (await isGroupAlive(pgid))) await delay(POLL_MS);
}

/** One /proc scan answers every group polled within the same moment (many runs end together). */
const SCAN_TTL_MS = 10;
let lastScan: { at: number; groups: Promise<Set<number>> } | undefined;

/** Linux: the process group ids that have at least one member that is not a zombie. */
export function scanProcessGroups(): Promise<Set<number>> {
  const now = performance.now(); // a wall-clock jump back must not make an old scan look fresh
  if (lastScan && now - lastScan.at < SCAN_TTL_MS) return lastScan.groups;
  const groups = readLiveGroups();
  lastScan = { at: now, groups };
  return groups;
}

async function readLiveGroups(): Promise<Set<number>> {
  const groups = new Set<number>();
  const entries = await readdir('/proc').catch(() => [] as string[]);
  await Promise.all(
    entries.map(async (entry) => {
      if (!/^\d+$/.test(entry)) return;
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
      const parsed = parseStat(stat);
      if (parsed && parsed.state !== 'Z' && parsed.state !== 'X') groups.add(parsed.pgrp);
    }),
  );
  return groups;
}

/** `/proc/<pid>/stat`: "pid (comm) state ppid pgrp ..."; comm may hold spaces and parentheses. */
export function parseStat(stat: string): { state: string; ppid: number; pgrp: number } | undefined {
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  const [state, ppid, pgrp] = stat.slice(close + 2).split(' ');
  if (state === undefined || ppid === undefined || pgrp === undefined) return undefined;
  return { state, ppid: Number(ppid), pgrp: Number(pgrp) };
}
