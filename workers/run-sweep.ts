/**
 * The end-of-run sweep. A run's processes can leave its process group (`setsid`, a double fork, a
 * daemon), but they keep the environment they were started with, which holds the run's
 * MXX_RUN_ID. So after the group is gone, /proc/PID/environ finds what is left of the run and it
 * is ended, before the run's result is reported. Linux only; elsewhere the group kill is all.
 *
 * Scans are shared: every run that ends while a scan is in flight joins the next one, so a burst
 * of run ends costs one /proc pass, not one per run.
 */
import { readdir, readFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { POLL_MS } from './kill-group.js';
import { isSpared } from './kill-names.js';

export const RUN_ID_VARIABLE = 'MXX_RUN_ID';
/** A process that forks faster than we kill it is given up on after this long. */
const SWEEP_GIVE_UP_MS = 3_000;

const isLinux = process.platform === 'linux';
const marker = Buffer.from(`${RUN_ID_VARIABLE}=`, 'latin1');

/**
 * What each pid's environment said, read at most this long ago. A process's environment block is
 * fixed when it execs, so it need not be read again at every run end: a scan then costs a readdir
 * plus one read per process that is new since the last scan (each read of /proc/PID/environ
 * measured ~60 µs here, ~8 ms for 134 processes). The bound keeps a reused pid from being
 * judged by its predecessor: reuse needs the pid space to wrap (32 768 by default) in that time.
 */
const ENVIRON_CACHE_MS = 2_000;
const environCache = new Map<number, { runId: string | null; readAt: number }>();

/**
 * One /proc pass: the processes whose environment holds `MXX_RUN_ID=<id>` for each id asked for.
 * Zombies and kernel threads have no environment and are not found; a process in the middle of an exec
 * is read again until its new program is in place; pid 1, this process and the server are never found.
 */
export async function findRunProcesses(runIds: ReadonlySet<string>): Promise<Map<string, number[]>> {
  const found = new Map<string, number[]>();
  if (!isLinux || runIds.size === 0) return found;
  const entries = await readdir('/proc').catch(() => [] as string[]);
  const now = performance.now(); // monotonic: a wall-clock jump back must not keep entries fresh
  const present = new Set<number>();
  const reads: Promise<void>[] = [];
  for (const entry of entries) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || isSpared(pid)) continue;
    present.add(pid);
    const cached = environCache.get(pid);
    // Most of /proc is known to carry no run id: answered without a read.
    if (cached !== undefined && cached.runId === null && now - cached.readAt < ENVIRON_CACHE_MS) continue;
    reads.push(
      readRunId(pid, now).then((runId) => {
        if (runId === null || !runIds.has(runId)) return;
        const pids = found.get(runId);
        if (pids === undefined) found.set(runId, [pid]);
        else pids.push(pid);
      }),
    );
  }
  await Promise.all(reads);
  for (const pid of environCache.keys()) if (!present.has(pid)) environCache.delete(pid);
  return found;
}

/**
 * How long a process caught between two programs is looked at again before it is given up on.
 * Its environment reads empty from the moment its old memory is let go until the new program's
 * stack is laid out; on a busy machine that can last a few ms (a preempted exec).
 */
const IN_EXEC_WAIT_MS = 200;
const IN_EXEC_POLL_MS = 1;

/**
 * A fresh read: a carrier found before may have died. A zombie or a kernel thread fails to open
 * (ESRCH), so an empty read is a live process: one started with an empty environment (`env -i`:
 * its command line is there), or one in the middle of an exec, whose command line is empty too.
 * The second kind is read again until its new program is in place: reading it as "nothing" let a
 * daemon caught mid-exec (`setsid sleep`) outlive its run when it was the only carrier left.
 */
async function readRunId(pid: number, now: number): Promise<string | null> {
  const giveUpAt = performance.now() + IN_EXEC_WAIT_MS;
  for (;;) {
    const environ = await readEnviron(pid);
    if (environ === null || environ.length > 0) return remember(pid, runIdOf(environ), now);
    const cmdline = await readFile(`/proc/${pid}/cmdline`).catch(() => null);
    if (cmdline === null) return remember(pid, null, now);
    // A program in place: its environment is final now (its layout is written command line first,
    // so it is read once more), and empty means it carries nothing.
    if (cmdline.length > 0) return remember(pid, runIdOf(await readEnviron(pid)), now);
    if (performance.now() >= giveUpAt) return null; // not cached: the next scan reads it again
    await delay(IN_EXEC_POLL_MS);
  }
}

/** Unreadable (gone, another user's, a kernel thread) is null, and counts as carrying nothing: not ours to end. */
function readEnviron(pid: number): Promise<Buffer | null> {
  return readFile(`/proc/${pid}/environ`).catch(() => null);
}

function remember(pid: number, runId: string | null, readAt: number): string | null {
  environCache.set(pid, { runId, readAt });
  return runId;
}

/**
 * A notification's command carries the run's MXX_RUN_ID too (SPEC §12) and MXX_EVENT besides; it
 * is not one of the run's processes: a `started` notice may outlive the run, and has its own lifetime.
 */
const notifyMarker = Buffer.from('MXX_EVENT=', 'latin1');

/** The value of MXX_RUN_ID in a NUL-separated environment block, or null (also for a notify cmd). */
export function runIdOf(environ: Buffer | null): string | null {
  if (environ === null || variableIn(environ, notifyMarker) !== null) return null;
  return variableIn(environ, marker);
}

/**
 * The value of the variable whose `NAME=` is `prefix` in a NUL-separated environment block, or
 * null: only at the start of a variable, never the same text inside another one's value.
 */
export function variableIn(environ: Buffer, prefix: Buffer): string | null {
  for (let at = environ.indexOf(prefix); at >= 0; at = environ.indexOf(prefix, at + 1)) {
    if (at > 0 && environ[at - 1] !== 0) continue;
    const start = at + prefix.length;
    const end = environ.indexOf(0, start);
    return environ.toString('latin1', start, end < 0 ? environ.length : end);
  }
  return null;
}

interface Batch {
  runIds: Set<string>;
  found: Promise<Map<string, number[]>>;
  start(): void;
}

let scanning = false;
let next: Batch | null = null;

/** The processes carrying `runId`, from the next shared scan. */
function scanFor(runId: string): Promise<number[]> {
  if (next === null) {
    let start!: () => void;
    const gate = new Promise<void>((resolve) => (start = resolve));
    const runIds = new Set<string>();
    next = { runIds, start, found: gate.then(() => findRunProcesses(runIds)) };
    // Deferred a turn, so runs ending in the same turn of the event loop share the scan.
    if (!scanning) setImmediate(launchNext);
  }
  next.runIds.add(runId);
  return next.found.then((found) => found.get(runId) ?? []);
}

function launchNext(): void {
  const batch = next;
  if (batch === null) return;
  next = null;
  scanning = true;
  batch.start();
  void batch.found.finally(() => {
    scanning = false;
    if (next !== null) launchNext();
  });
}

/**
 * Ends every process still carrying `runId` and resolves once none is left (or after a bounded
 * wait). SIGKILL straight away: the run is over and its group already had its SIGTERM and grace;
 * a process that left the group on purpose would only make every run end wait for it. Returns
 * how many processes were ended.
 */
export async function endRunProcesses(runId: string): Promise<number> {
  if (!isLinux) return 0;
  const ended = new Set<number>();
  const giveUpAt = performance.now() + SWEEP_GIVE_UP_MS;
  for (let pids = await scanFor(runId); pids.length > 0; pids = await scanFor(runId)) {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
        ended.add(pid);
      } catch {
        // Gone meanwhile, or not ours to signal (EPERM): nothing more to do for it.
      }
    }
    if (performance.now() >= giveUpAt) break;
    // Killed processes turn into zombies (no environment) within ms; a fork caught mid-way shows up here.
    await delay(POLL_MS / 4);
  }
  return ended.size;
}
