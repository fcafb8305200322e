/**
 * The visibility scenario's observers (event stream readers, a /metrics scraper, a subscriber
 * that never reads, the RSS sampler) in a process of their own at the lowest CPU priority: what is
 * measured is the server's cost of being watched, not the watchers' own CPU on the same 2 cores
 * (a real Prometheus or dashboard runs elsewhere).
 */
import { writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { agentInput, agentOutput } from '../lib/procs.js';
import { observers, type ObserverPlan } from '../lib/observers.js';
import type { MxxServer } from '../lib/mxx.js';
import { sleepUntil } from '../lib/time.js';

interface Input {
  url: string;
  api: string;
  pid: number;
  plan: ObserverPlan;
  /** Epoch ms to stop at. */
  until: number;
}

const input = agentInput<Input>();
setPriority(0, 19);
// Started in a session of its own (runAgent ownSession): with autogroup scheduling, nice 19 alone
// only yields to the bench runner in the same session; the group's own nice yields to every other.
let autogroup = 'not available';
try {
  writeFileSync('/proc/self/autogroup', '19');
  autogroup = 'nice 19';
} catch (error) {
  autogroup = `not set: ${(error as Error).message}`;
}
const cpuBefore = process.cpuUsage();
const observer = observers(input.plan)({ url: input.url, api: input.api, pid: input.pid } as MxxServer);
await sleepUntil(input.until);
const result = await observer.stop();
const cpu = process.cpuUsage(cpuBefore);
agentOutput({ ...result, self: { cpuMs: Math.round((cpu.user + cpu.system) / 1000), autogroup } });
process.exit(0);
