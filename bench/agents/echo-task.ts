/** A pool task that does nothing: the pure dispatch round trip (with a task port, as our runs carry). */
import type { MessagePort } from 'node:worker_threads';

export default function echo(task: { n: number; port?: MessagePort }): number {
  task.port?.close();
  return task.n;
}
