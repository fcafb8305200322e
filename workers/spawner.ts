/**
 * The spawner: a small Node process that a worker thread starts and hands runs to. libuv spawns
 * with fork(), whose cost grows with the size of the process that forks; forking from here, not
 * from the server, keeps each spawn cheap and off the server's threads however big it grows.
 *
 * Each run goes through `startRun` exactly as in a thread (lifetime, grace, log cap, kill names);
 * its events and result go back tagged with the runId. When stdin closes (the thread ended, or the
 * server died, even by SIGKILL) every run held here is stopped ('shutdown') and the spawner
 * exits: a dead server leaves no orphans.
 */
import type { RunResult } from './protocol.js';
import { spareProcess } from './kill-names.js';
import { startRun, type RunningProcess, type RunSpec } from './spawn-run.js';
import { createLineReader, createLineWriter, type SpawnerReply, type SpawnerRequest } from './spawner-wire.js';

/** Once everything is stopped, how long the last replies may take to leave before we just exit. */
const FLUSH_WAIT_MS = 1_000;

// Named, so that `ps` tells it apart, and a job's `kill = "node"` does not end the spawners.
process.title = 'mxx-spawner';
// The server is our parent; a job's `kill = "node"` must not end it from here either.
spareProcess(process.ppid);

const runs = new Map<string, RunningProcess>();
const settled = new Set<Promise<RunResult>>();
let shuttingDown = false;

const reply = createLineWriter<SpawnerReply>(process.stdout);
// The server went away while we were writing (EPIPE): that is stdin's end-of-file, seen from here.
process.stdout.on('error', () => shutDown());

function accept(line: string): void {
  let request: SpawnerRequest;
  try {
    request = JSON.parse(line) as SpawnerRequest;
  } catch {
    process.stderr.write(`mxx spawner: ignoring a line that is not JSON: ${line.slice(0, 200)}\n`);
    return;
  }
  if (request.type === 'run') begin(request.spec);
  else if (request.type === 'stop') runs.get(request.runId)?.stop(request.reason);
}

function begin(spec: RunSpec): void {
  if (shuttingDown || runs.has(spec.runId)) return;
  const running = startRun(spec, (event) => reply({ type: 'event', event }));
  runs.set(spec.runId, running);
  const done = running.result.then((result) => {
    runs.delete(spec.runId);
    settled.delete(done);
    reply({ type: 'result', result });
    return result;
  });
  settled.add(done);
}

/** Stops every run (SIGTERM to its group, SIGKILL after its grace), waits for them, exits. */
function shutDown(): void {
  if (shuttingDown) return;
  shuttingDown = true;
  for (const running of runs.values()) running.stop('shutdown');
  void Promise.allSettled([...settled]).then(() => {
    setTimeout(() => process.exit(0), FLUSH_WAIT_MS).unref();
    process.stdout.end(() => process.exit(0));
  });
}

process.stdin.setEncoding('utf8');
process.stdin.on('data', createLineReader(accept));
process.stdin.on('end', shutDown);
process.stdin.on('error', shutDown);
// The server owns shutdown: a Ctrl-C reaching us too must not drop the runs we hold.
process.on('SIGINT', () => {});
process.on('SIGHUP', () => {});
process.on('SIGTERM', shutDown);
