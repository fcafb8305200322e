/**
 * Notify cmds run on the server's own thread (src/notify/cmd.ts), so a server killed with SIGKILL
 * leaves the ones under way behind. Each carries MXX_NOTIFIER=<its server's notify folder>; the
 * next server on the same home (one server per home: server.pid) ends them at start, found by
 * their environment as the run sweep finds a run's processes (Linux /proc; elsewhere nothing).
 */
import { readdir, readFile } from 'node:fs/promises';
import { variableIn } from '../../workers/run-sweep.js';

export const NOTIFIER_VARIABLE = 'MXX_NOTIFIER';

/** SIGKILLs every process (and its group) whose environment holds MXX_NOTIFIER=`value`. Returns how many. */
export async function endLeftoverNotifyCmds(value: string): Promise<number> {
  if (process.platform !== 'linux') return 0;
  const prefix = Buffer.from(`${NOTIFIER_VARIABLE}=`, 'latin1');
  // variableIn reads latin1: the folder's path compared in the same encoding.
  const expected = Buffer.from(value, 'utf8').toString('latin1');
  let ended = 0;
  const entries = await readdir('/proc').catch(() => [] as string[]);
  await Promise.all(
    entries.map(async (entry) => {
      const pid = Number(entry);
      if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid) return;
      const environ = await readFile(`/proc/${pid}/environ`).catch(() => null);
      if (environ === null || variableIn(environ, prefix) !== expected) return;
      for (const target of [-pid, pid]) {
        try {
          // A notify cmd leads its own process group (detached): the group first, then the pid.
          process.kill(target, 'SIGKILL');
        } catch {
          // not a group leader any more, or gone
        }
      }
      ended++;
    }),
  );
  return ended;
}
