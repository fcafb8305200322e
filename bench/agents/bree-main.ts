/**
 * Baseline: Bree (a worker thread per run) doing the same work: `jobs` jobs on `* * * * * *`, each
 * run a worker that spawns the command and reports its start. Bree schedules through later.js,
 * which plans each fire 1 s after the previous one returned; the planned instant is computed the
 * same way here. A fire Bree never makes, or refuses
 * because the job's previous worker is still alive, counts as lost.
 */
import Bree from 'bree';
import { fileURLToPath } from 'node:url';
import { agentInput, agentOutput } from '../lib/procs.js';
import { sleep, sleepUntil } from '../lib/time.js';
import type { PrecisionAgentInput, PrecisionAgentResult } from './croner-main.js';

const input = agentInput<PrecisionAgentInput>();
/**
 * later.setTimeout asks the schedule for its next two instants from now; for `* * * * * *` later.js
 * answers now itself (milliseconds kept) and now + 1 s, and skips an instant less than 1 s away. So a
 * Bree every-second job fires 1 s after the previous fire returned: it drifts off the whole second.
 */
const laterNext = (t: number): number => t + 1000;
const windowStart = Math.ceil((Date.now() + input.leadMs) / 1000) * 1000;
const windowEnd = windowStart + input.seconds * 1000;
const lateness: number[] = [];
const planned = new Map<string, number>();
const runningTarget = new Map<string, number>();
let fired = 0;

const silent = { info() {}, warn() {}, error() {} };
const bree = new Bree({
  root: false,
  logger: silent,
  jobs: Array.from({ length: input.jobs }, (_, j) => ({
    name: `job-${j}`,
    path: fileURLToPath(new URL('./bree-job.js', import.meta.url)),
    cron: '* * * * * *',
    hasSeconds: true,
    worker: { workerData: { cmd: input.cmd } },
  })),
  workerMessageHandler: ({ name, message }) => {
    const target = runningTarget.get(name);
    const startedAt = (message as { startedAt?: number }).startedAt;
    if (target === undefined || startedAt === undefined) return;
    if (target >= windowStart && target < windowEnd) {
      fired++;
      lateness.push(startedAt - target);
    }
  },
});
const originalRun = bree.run.bind(bree);
bree.run = (name?: string): Promise<void> => {
  const job = name ?? '';
  const target = planned.get(job) ?? 0;
  const before = bree.workers.get(job);
  const result = originalRun(name);
  const created = bree.workers.get(job);
  if (created !== undefined && created !== before) runningTarget.set(job, target);
  // later.js plans the next fire right after this call returns.
  planned.set(job, laterNext(Date.now()));
  return result;
};
const startedAt = Date.now();
await bree.start();
for (let j = 0; j < input.jobs; j++) planned.set(`job-${j}`, laterNext(startedAt));
await sleepUntil(windowEnd);
await sleep(input.drainMs);
await bree.stop();
agentOutput({
  windowStart,
  windowEnd,
  lateness,
  expected: input.jobs * input.seconds,
  fired,
  rssMb: process.memoryUsage().rss / 1024 / 1024,
} satisfies PrecisionAgentResult);
process.exit(0);
