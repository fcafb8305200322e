/**
 * Baseline for the overlap scenario: one croner job every second with `protect: true` (croner's
 * overlap guard, a skip policy) whose run is the command, awaited. Counts runs started and fires
 * blocked inside the window, and the most runs alive at once.
 */
import { Cron } from 'croner';
import { agentInput, agentOutput, spawnLikeWorker } from '../lib/procs.js';
import { sleep, sleepUntil } from '../lib/time.js';

export interface OverlapAgentInput {
  seconds: number;
  windowStart: number;
  cmd: string;
}

export interface OverlapAgentResult {
  started: number;
  blocked: number;
  maxConcurrent: number;
}

const input = agentInput<OverlapAgentInput>();
const windowEnd = input.windowStart + input.seconds * 1000;
const inWindow = (): boolean => Date.now() >= input.windowStart - 50 && Date.now() < windowEnd - 50;
let started = 0;
let blocked = 0;
let running = 0;
let maxConcurrent = 0;
const cron = new Cron(
  '* * * * * *',
  {
    protect: () => {
      if (inWindow()) blocked++;
    },
  },
  async () => {
    if (inWindow()) started++;
    running++;
    maxConcurrent = Math.max(maxConcurrent, running);
    await spawnLikeWorker(input.cmd).closed;
    running--;
  },
);
await sleepUntil(windowEnd);
cron.stop();
while (running > 0) await sleep(50);
agentOutput({ started, blocked, maxConcurrent } satisfies OverlapAgentResult);
process.exit(0);
