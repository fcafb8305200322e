/**
 * After a crash, processes of runs that were in progress may still be alive: the workers died with
 * the server, but each run was detached into its own process group. Every run's processes inherit
 * MXX_RUN_ID, so the workers' /proc sweep finds them without trusting a pid that may have been reused.
 */
import { findRunProcesses } from '../../workers/run-sweep.js';

/** Kills (SIGKILL) every process whose environment carries one of `runIds`. Returns how many. */
export async function killStaleRunProcesses(runIds: ReadonlySet<string>): Promise<number> {
  if (runIds.size === 0) return 0;
  let killed = 0;
  for (const pids of (await findRunProcesses(runIds)).values()) {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
        killed++;
      } catch {
        // gone already
      }
    }
  }
  return killed;
}
