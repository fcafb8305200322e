import { randomBytes } from 'node:crypto';

/** Random per server process: two servers (or restarts) never mint the same id in one ms. */
const PROCESS_TAG = randomBytes(3).toString('hex');
let counter = 0;

/** Sortable, unique and a valid path segment: `<ms base36>-<counter base36><process tag>`. */
export function createRunId(now: number = Date.now()): string {
  counter = (counter + 1) % 1_679_616; // 36^4
  return `${now.toString(36)}-${counter.toString(36).padStart(4, '0')}${PROCESS_TAG}`;
}
