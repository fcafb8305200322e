/**
 * test/e2e/spawner.test.ts with the compiled helper as the spawner: where the command runs (its
 * parent is the helper), exit code, lifetime, the helper SIGKILLed mid-run (group killed, run
 * failed, a new helper for the next run), close(), a server SIGKILLed (stdin closes: the helper
 * ends the runs and exits, no orphans), a full disk under the log.
 */
import './_native.js';
import '../e2e/spawner.test.js';
