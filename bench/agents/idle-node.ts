/** Baseline for the memory scenario: a bare Node process, idle for a second; prints its RSS. */
import { agentOutput } from '../lib/procs.js';
import { sleep } from '../lib/time.js';

await sleep(1000);
agentOutput({ rssMb: process.memoryUsage().rss / 1024 / 1024 });
