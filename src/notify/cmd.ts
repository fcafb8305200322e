/**
 * A notify `cmd`, run like a run (SPEC §12): by the project's one run supervisor (workers'
 * startRun: own process group, lifetime, SIGTERM then SIGKILL after grace, the whole group ended,
 * output captured and capped), here on the server's main thread: notifications are rare and the
 * execution pool is the supervisor's. startRun gives a run no stdin, so the record reaches the
 * command through a small `sh` that opens it as stdin and then execs the command (same pid, same
 * group): `sh -c 'exec <"$1" && exec /bin/sh -c "$2"'`.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { killGroup } from '../../workers/kill-group.js';
import { startRun } from '../../workers/spawn-run.js';

export interface NotifyCmdRequest {
  /** Names the scratch files; unique among the cmds under way (e.g. `<run>.<event>`). */
  name: string;
  jobId: string;
  cmd: string | string[];
  env: Record<string, string>;
  /** Written to a file that becomes the command's stdin. */
  input: string;
  lifetimeMs: number;
  graceMs: number;
  /** The end of the output kept, and the cap of the scratch log. */
  outputBytes: number;
  /** Folder for the scratch input and log (exists, owner-only). Both are removed afterwards. */
  dir: string;
  /** Stops the command at once (SIGKILL to its group): the server is shutting down. */
  signal: AbortSignal;
}

export interface NotifyCmdOutcome {
  ok: boolean;
  /** In words: "exit 0", "exited with code 3", "lifetime of 60s passed". */
  detail: string;
  /** The end of what it wrote (stdout and stderr), up to outputBytes. */
  output: string;
}

export async function runNotifyCmd(request: NotifyCmdRequest): Promise<NotifyCmdOutcome> {
  const inputPath = join(request.dir, `${request.name}.json`);
  const logPath = join(request.dir, `${request.name}.log`);
  try {
    await writeFile(inputPath, request.input, { mode: 0o600 });
    let pid: number | null = null;
    const running = startRun(
      {
        runId: request.name,
        jobId: request.jobId,
        cmd: withStdinFrom(inputPath, request.cmd),
        env: request.env,
        lifetimeMs: request.lifetimeMs,
        graceMs: request.graceMs,
        logPath,
        logCapBytes: request.outputBytes,
        tailBytes: request.outputBytes,
        // The end-of-run sweep finds a run's processes by MXX_RUN_ID, and this command carries the
        // *run's* id (SPEC §12): a sweep here would end that run's processes (a `started` notice).
        sweep: false,
      },
      (event) => {
        if (event.type === 'started') pid = event.pid;
      },
    );
    const onAbort = (): void => {
      running.stop('shutdown');
      if (pid !== null) void killGroup(pid);
    };
    if (request.signal.aborted) onAbort();
    else request.signal.addEventListener('abort', onAbort, { once: true });
    try {
      const result = await running.result;
      const ok = result.status === 'completed';
      return { ok, detail: ok ? 'exit 0' : (result.error ?? result.status), output: result.tail };
    } finally {
      request.signal.removeEventListener('abort', onAbort);
    }
  } catch (error) {
    return { ok: false, detail: `could not be started: ${error instanceof Error ? error.message : String(error)}`, output: '' };
  } finally {
    await Promise.all([rm(inputPath, { force: true }), rm(logPath, { force: true })]).catch(() => undefined);
  }
}

/** The command, started with `path` as its stdin (Windows has no sh: the command gets none). */
function withStdinFrom(path: string, cmd: string | string[]): string | string[] {
  if (process.platform === 'win32') return cmd;
  if (typeof cmd === 'string') return ['/bin/sh', '-c', 'exec <"$1" || exit 126; exec /bin/sh -c "$2"', 'mxx-notify', path, cmd];
  return ['/bin/sh', '-c', 'exec <"$1" || exit 126; shift; exec "$@"', 'mxx-notify', path, ...cmd];
}

/** Makes the scratch folder, emptied of what a server that died left there. */
export async function prepareScratch(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true, mode: 0o700 });
}
