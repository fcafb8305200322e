/** test/e2e/daemonize.test.ts through a real server on the compiled helper: setsid, double-fork and python daemons end with the run (checked in /proc). */
import './_native.js';
import '../e2e/daemonize.test.js';
