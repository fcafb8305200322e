/**
 * The piscina task: one run per call, many at once per thread (`concurrentTasksPerWorker`).
 * Events go out and control messages come in over the task's own MessagePort, never an
 * AbortSignal: aborting would terminate the thread and orphan the run's process group.
 */
import { receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { PROTOCOL_VERSION, type RunControl, type RunRequest, type RunResult, type RunWorkerData, type Via } from './protocol.js';
import { notStarted } from './run-outcome.js';
import { startRun, type RunningProcess } from './spawn-run.js';
import { prestartSpawner, startRunInSpawner } from './spawner-client.js';

export { startRun, OUTPUT_EVENT_INTERVAL_MS, type RunSpec, type RunningProcess } from './spawn-run.js';

/**
 * The pool says how this thread forks (`RunWorkerData`). A host that says nothing (the bench's
 * tinypool, a unit test calling `run` on the main thread) gets forks from the calling thread,
 * which need no helper process.
 */
const via: Via = (workerData as Partial<RunWorkerData> | null | undefined)?.via === 'spawner' ? 'spawner' : 'thread';
const start = via === 'spawner' ? startRunInSpawner : startRun;

if (via === 'spawner') prestartSpawner();

export default async function run(request: RunRequest): Promise<RunResult> {
  const { port, v, ...spec } = request;
  try {
    if (v !== PROTOCOL_VERSION) {
      return notStarted(spec.runId, null, `protocol version ${String(v)} is not spoken by this worker (${PROTOCOL_VERSION})`);
    }
    const running = start(spec, (event) => port.postMessage(event));
    // A stop sent before this task left piscina's queue is already waiting: take it before the
    // spawn (startRun spawns only after its first await; a spawner gets the run and the stop in
    // one write), so the command never starts.
    drainControl(port, running);
    port.on('message', (message: unknown) => applyControl(message, running));
    return await running.result;
  } finally {
    // An open port keeps its thread's event loop, and the pool, from ever exiting.
    port.close();
  }
}

function drainControl(port: MessagePort, running: RunningProcess): void {
  for (let queued = receiveMessageOnPort(port); queued !== undefined; queued = receiveMessageOnPort(port)) {
    applyControl(queued.message, running);
  }
}

function applyControl(message: unknown, running: RunningProcess): void {
  const control = message as RunControl | null;
  if (control?.type === 'stop') running.stop(control.reason);
}
