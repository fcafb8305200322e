/** Bree's worker for the precision baseline: spawn the command like a run worker, report pid and start time, wait for the exit. */
import { parentPort, workerData } from 'node:worker_threads';
import { spawnLikeWorker } from '../lib/procs.js';

const { child, closed } = spawnLikeWorker((workerData as { cmd?: string } | undefined)?.cmd ?? 'true');
parentPort?.postMessage({ pid: child.pid, startedAt: Date.now() });
await closed;
