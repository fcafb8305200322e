/** Hot reload of the jobs folder (the hot-reload issue fills this in with chokidar). */
import type { Supervisor } from './supervisor/index.js';

export interface JobsWatcher {
  close(): Promise<void>;
}

export async function startWatcher(_supervisor: Supervisor, _dir: string): Promise<JobsWatcher> {
  return { close: async () => undefined };
}
