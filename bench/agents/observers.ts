/**
 * The visibility scenario's observers (event stream readers, a /metrics scraper, a subscriber
 * that never reads, the RSS sampler) in a process of their own at the lowest CPU priority: what is
 * measured is the server's cost of being watched, not the watchers' own CPU on the same 2 cores
 * (a real Prometheus or dashboard runs elsewhere).
 */
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
const observer = observers(input.plan)({ url: input.url, api: input.api, pid: input.pid } as MxxServer);
await sleepUntil(input.until);
agentOutput(await observer.stop());
process.exit(0);
