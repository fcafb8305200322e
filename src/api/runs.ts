/** /runs routes: one run's record and its log (optionally followed live). */
import { open } from 'node:fs/promises';
import type { Routes } from './routes.js';
import { getQuery } from 'h3';
import type { Supervisor } from '../supervisor/index.js';
import { json } from './http.js';
import { idParam } from './params.js';

const TEXT_HEADERS = { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' };
const CHUNK = 64 * 1024;

export function registerRunRoutes(app: Routes, supervisor: Supervisor): void {
  app.get('/runs/:run', (event) => {
    const runId = idParam(event, 'run', 'run id');
    return json(supervisor.getRun(runId));
  });

  app.get('/runs/:run/log', async (event) => {
    const runId = idParam(event, 'run', 'run id');
    const record = supervisor.getRun(runId);
    const path = supervisor.runLogPath(record);
    const follow = ['true', '1', 'yes'].includes(String(getQuery(event).follow));
    if (!follow || !supervisor.activeRun(runId)) {
      const file = await open(path, 'r').catch(() => null);
      if (!file) return new Response('', { headers: TEXT_HEADERS });
      try {
        return new Response(await file.readFile(), { headers: TEXT_HEADERS });
      } finally {
        await file.close();
      }
    }
    return new Response(followLog(supervisor, runId, path, event.req.signal), { headers: TEXT_HEADERS });
  });
}

/**
 * Streams the log file from its start and keeps reading as the worker reports output, until the
 * run has ended and the file is read to its end. Output events are only wake-ups; the file is
 * the source of truth, so nothing is lost between reads.
 */
function followLog(supervisor: Supervisor, runId: string, path: string, abort: AbortSignal): ReadableStream<Uint8Array> {
  // A nudge that lands while the file is being read must not be lost: it is remembered.
  let nudged = false;
  let wake: (() => void) | null = null;
  const nudge = (run: { runId: string } | { run_id: string }): void => {
    if (('runId' in run ? run.runId : run.run_id) !== runId) return;
    nudged = true;
    wake?.();
  };
  return new ReadableStream<Uint8Array>({
    async start(controller) {
      supervisor.on('run-output', nudge);
      supervisor.on('run-end', nudge);
      abort.addEventListener('abort', () => {
        nudged = true;
        wake?.();
      });
      let position = 0;
      const buffer = Buffer.alloc(CHUNK);
      try {
        for (;;) {
          nudged = false;
          const ended = !supervisor.activeRun(runId);
          const file = await open(path, 'r').catch(() => null);
          if (file) {
            try {
              for (;;) {
                const { bytesRead } = await file.read(buffer, 0, CHUNK, position);
                if (bytesRead === 0) break;
                position += bytesRead;
                controller.enqueue(new Uint8Array(buffer.subarray(0, bytesRead)));
              }
            } finally {
              await file.close();
            }
          }
          if (ended || abort.aborted) break;
          if (nudged) continue;
          // Wait for output, the run's end, or a slow poll as a backstop.
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, 500);
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          wake = null;
        }
        controller.close();
      } catch (error) {
        controller.error(error);
      } finally {
        supervisor.off('run-output', nudge);
        supervisor.off('run-end', nudge);
      }
    },
  });
}
