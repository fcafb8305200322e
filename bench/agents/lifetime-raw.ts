/**
 * Baseline for the lifetime scenario: spawn the command like a run worker, SIGTERM its group at
 * the deadline from a plain setTimeout, and time deadline → every process of the group dead
 * (polled from /proc as the bench polls the server's runs).
 */
import { whenGroupDead } from '../lib/linux-proc.js';
import { agentInput, agentOutput, spawnLikeWorker } from '../lib/procs.js';
import { summarize } from '../lib/stats.js';

const input = agentInput<{ runs: number; inFlight: number; lifetimeMs: number; cmd: string }>();
const gone: number[] = [];
let next = 0;
await Promise.all(
  Array.from({ length: input.inFlight }, async () => {
    while (next < input.runs) {
      next++;
      const { child, closed } = spawnLikeWorker(input.cmd);
      const deadline = Date.now() + input.lifetimeMs;
      const pid = child.pid!;
      setTimeout(() => {
        try {
          process.kill(-pid, 'SIGTERM');
        } catch {
          // gone already
        }
      }, input.lifetimeMs);
      gone.push((await whenGroupDead(pid)) - deadline);
      await closed;
    }
  }),
);
agentOutput({ gone: summarize(gone) });
