/**
 * Baseline: a raw spawn loop in a fresh Node process. Keeps `inFlight` commands running, each
 * spawned like a run worker spawns (own group, piped output), until `count` have exited or
 * `seconds` have passed. The next spawn goes through setImmediate, never from an exit handler.
 */
import { summarize, type Summary } from '../lib/stats.js';
import { agentInput, agentOutput, spawnLikeWorker } from '../lib/procs.js';

export interface SpawnLoopInput {
  inFlight: number;
  cmd: string;
  count?: number;
  seconds?: number;
  /** Grow the heap by this many MB first (touched), to show how fork cost follows memory. */
  ballastMb?: number;
}

export interface SpawnLoopResult {
  completed: number;
  wallMs: number;
  /** Exits per second. */
  rate: number;
  /** Time inside the spawn() call (blocks the thread: fork + exec). */
  spawnCall: Summary;
  /** spawn() call → 'close' (process exited, pipes closed). */
  roundTrip: Summary;
  rssMb: number;
}

const input = agentInput<SpawnLoopInput>();
const ballast: Buffer[] = [];
for (let i = 0; i < (input.ballastMb ?? 0); i++) ballast.push(Buffer.alloc(1024 * 1024, i));

const spawnCall: number[] = [];
const roundTrip: number[] = [];
let started = 0;
let completed = 0;
const t0 = performance.now();
const deadline = input.seconds === undefined ? Infinity : t0 + input.seconds * 1000;
const limit = input.count ?? Infinity;

await new Promise<void>((resolve) => {
  let running = 0;
  const launch = (): void => {
    while (running < input.inFlight && started < limit && performance.now() < deadline) {
      started++;
      running++;
      const before = performance.now();
      const { closed } = spawnLikeWorker(input.cmd);
      const after = performance.now();
      spawnCall.push(after - before);
      void closed.then(() => {
        roundTrip.push(performance.now() - before);
        running--;
        completed++;
        if (running === 0 && (started >= limit || performance.now() >= deadline)) resolve();
        else setImmediate(launch);
      });
    }
  };
  launch();
});
const wallMs = performance.now() - t0;
agentOutput({
  completed,
  wallMs,
  rate: completed / (wallMs / 1000),
  spawnCall: summarize(spawnCall),
  roundTrip: summarize(roundTrip),
  rssMb: process.memoryUsage().rss / 1024 / 1024,
} satisfies SpawnLoopResult);
