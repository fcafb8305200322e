/**
 * After a crash, processes of runs that were in progress may still be alive: the workers died with
 * the server, but each run was detached into its own process group. Every run's processes inherit
 * MXX_RUN_ID, so scanning /proc for it finds them without trusting a pid that may have been reused.
 */
import { readdir, readFile } from 'node:fs/promises';

/** Kills (SIGKILL) every process whose environment carries one of `runIds`. Returns how many. */
export async function killStaleRunProcesses(runIds: ReadonlySet<string>): Promise<number> {
  if (process.platform !== 'linux' || runIds.size === 0) return 0;
  let killed = 0;
  for (const name of await readdir('/proc').catch(() => [] as string[])) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid) continue;
    let environ: string;
    try {
      environ = await readFile(`/proc/${pid}/environ`, 'latin1');
    } catch {
      continue;
    }
    const marker = environ.split('\0').find((entry) => entry.startsWith('MXX_RUN_ID='));
    if (!marker || !runIds.has(marker.slice('MXX_RUN_ID='.length))) continue;
    try {
      process.kill(pid, 'SIGKILL');
      killed++;
    } catch {
      // gone already
    }
  }
  return killed;
}
