/**
 * A run whose supervisor died under it: its worker thread (the pool sees that) or its spawner
 * process (the thread sees that). What the run started is ended here as its supervisor would have
 * at the run's end, but without a grace: SIGKILL to its group, its `kill` names, the sweep.
 */
import { killGroup } from './kill-group.js';
import { endNamedProcesses } from './kill-names.js';
import type { RunResult } from './protocol.js';
import { lostResult, type LostRun } from './run-outcome.js';
import { endRunProcesses, RUN_ID_VARIABLE } from './run-sweep.js';
import type { RunSpec } from './spawn-run.js';

/** Ends what is left of the run and resolves with its `failed` result, saying `error`. */
export async function recoverLostRun(spec: RunSpec, known: LostRun, error: string): Promise<RunResult> {
  if (known.pid !== null) {
    await killGroup(known.pid);
    // Only once it is known to have started: the names may otherwise belong to someone else's app.
    if (spec.kill !== undefined && spec.kill.length > 0) await endNamedProcesses(spec.kill, 0);
  }
  // Even without a `started` (the spawn may have happened just before the end): daemons that
  // left the group still carry the run's id.
  if (spec.sweep !== false) await endRunProcesses(spec.env[RUN_ID_VARIABLE] ?? spec.runId);
  return lostResult(spec.runId, known, error);
}
