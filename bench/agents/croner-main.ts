/**
 * Baseline: croner + child_process.spawn on the main thread. `jobs` croner jobs fire every second;
 * each fire spawns the command as a run worker would. Lateness is spawn returned − the instant the
 * fire was planned for. croner plans each fire as the next whole second after the previous trigger
 * (it does not catch up), so that is the planned instant; seconds it never fired count as lost.
 */
import { Cron } from 'croner';
import { agentInput, agentOutput, spawnLikeWorker } from '../lib/procs.js';
import { sleep, sleepUntil } from '../lib/time.js';

export interface PrecisionAgentInput {
  jobs: number;
  seconds: number;
  /** The measured window starts at the first whole second at least this far from the start. */
  leadMs: number;
  /** After the window: time for fires planned inside it to start. */
  drainMs: number;
  cmd: string;
}

export interface PrecisionAgentResult {
  windowStart: number;
  windowEnd: number;
  /** ms late, one per fire planned inside the window that spawned. */
  lateness: number[];
  expected: number;
  fired: number;
  rssMb: number;
}

const input = agentInput<PrecisionAgentInput>();
const nextSecondAfter = (t: number): number => (Math.floor(t / 1000) + 1) * 1000;
const windowStart = Math.ceil((Date.now() + input.leadMs) / 1000) * 1000;
const windowEnd = windowStart + input.seconds * 1000;
const lateness: number[] = [];
const children: Array<Promise<unknown>> = [];
let fired = 0;

const crons: Cron[] = [];
for (let j = 0; j < input.jobs; j++) {
  let planned = nextSecondAfter(Date.now());
  crons.push(
    new Cron('* * * * * *', () => {
      const triggeredAt = Date.now();
      const target = planned;
      planned = nextSecondAfter(triggeredAt);
      const { closed } = spawnLikeWorker(input.cmd);
      const startedAt = Date.now();
      children.push(closed);
      if (target >= windowStart && target < windowEnd) {
        fired++;
        lateness.push(startedAt - target);
      }
    }),
  );
}
await sleepUntil(windowEnd);
// Fires planned inside the window may still be waiting for the thread.
await sleep(input.drainMs);
for (const cron of crons) cron.stop();
await Promise.race([Promise.all(children), sleep(10_000)]);
agentOutput({
  windowStart,
  windowEnd,
  lateness,
  expected: input.jobs * input.seconds,
  fired,
  rssMb: process.memoryUsage().rss / 1024 / 1024,
} satisfies PrecisionAgentResult);
process.exit(0);
