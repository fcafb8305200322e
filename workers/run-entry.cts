/**
 * The file piscina loads in each thread: a CommonJS trampoline to the ES module `run.js`.
 * Piscina loads its task file with require() first, and since Node 20.19 require() loads an ES
 * module in place (`require(esm)`); once in a CI run that path aborted the whole process with a
 * failed assertion in node's ModuleWrap::CreateRequiredModuleFacade while a thread loaded the
 * module. Here require() only reads this small CommonJS file, and the ES module is loaded with
 * import(), node's ordinary loader, at once (so the thread's spawn helper still starts with the
 * thread, not with its first run).
 */
import type { RunRequest, RunResult } from './protocol.js';

const loaded = import('./run.js');
// The rejection is the first task's error (piscina reports it); it must not also be unhandled.
loaded.catch(() => undefined);

async function run(request: RunRequest): Promise<RunResult> {
  return (await loaded).default(request);
}

export = run;
