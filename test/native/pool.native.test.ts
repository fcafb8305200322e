/** test/e2e/pool.test.ts (events, stop, a stop before the start, 200 at once, close) with the compiled helper as the spawner. */
import './_native.js';
import '../e2e/pool.test.js';
