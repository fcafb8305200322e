/** /runs routes: the runs of every job (paged), one run's record and its log (streamed from the file, optionally followed live). */
import type { Routes } from './routes.js';
import { MxxError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { RunRecord } from '../records.js';
import type { Supervisor } from '../supervisor/index.js';
import { json } from './http.js';
import { logFileStream, openLogFile } from './log-file.js';
import type { LogFollowers } from './log-followers.js';
import { boolQuery, idParam } from './params.js';
import { parseRunQuery } from './runs-query.js';
import type { RunListBody } from './types.js';

/** Where a log answer came from: the run's log file, or the output tail kept in its record. */
export const LOG_SOURCE_HEADER = 'x-mxx-log-source';

/** Which server's log file answered, when another server of the cluster ran the run. */
export const LOG_NODE_HEADER = 'x-mxx-log-node';

function text(body: ReadableStream<Uint8Array> | string, source: 'file' | 'tail', node?: string): Response {
  return new Response(body, {
    headers: {
      'content-type': 'text/plain; charset=utf-8',
      'cache-control': 'no-store',
      [LOG_SOURCE_HEADER]: source,
      ...(node === undefined ? {} : { [LOG_NODE_HEADER]: node }),
    },
  });
}

/**
 * The log of a run another server ran, read from that server (its file, or live while it runs);
 * null when it cannot answer (down, unreachable, or it has no file either).
 */
async function fromOwner(url: string, runId: string, query: string, authorization: string | null): Promise<Response | null> {
  try {
    const response = await fetch(`${url.replace(/\/$/, '')}/api/scheduler/runs/${encodeURIComponent(runId)}/log${query}`, {
      headers: authorization ? { authorization } : {},
      signal: AbortSignal.timeout(5000),
    });
    if (!response.ok || response.headers.get(LOG_SOURCE_HEADER) !== 'file' || !response.body) {
      await response.body?.cancel();
      return null;
    }
    return response;
  } catch {
    return null;
  }
}

/** The log file is gone (removed, or never written on a full disk): the record's tail, or 404. */
function tailOf(record: RunRecord): Response {
  if (record.output_tail) return text(record.output_tail, 'tail');
  const message =
    record.started_at === null
      ? `run ${record.run_id} has no log: it was ${record.status} and never started`
      : `run ${record.run_id} has no log left: its log file was removed and no output was kept in the record`;
  throw new MxxError('LOG_NOT_FOUND', message, { hint: `the run's record is still there: mxx runs ${record.job_id}` });
}

export function registerRunRoutes(app: Routes, supervisor: Supervisor, followers: LogFollowers, logger: Logger): void {
  app.get('/runs', (event) => {
    const { runs, more } = supervisor.recentRuns(parseRunQuery(event));
    const last = runs.at(-1);
    return json({ runs, count: runs.length, ...(more && last && { next_before: last.run_id }) } satisfies RunListBody);
  });

  app.get('/runs/:run', (event) => {
    const runId = idParam(event, 'run', 'run id');
    return json(supervisor.run(runId));
  });

  app.get('/runs/:run/log', async (event) => {
    const runId = idParam(event, 'run', 'run id');
    const record = supervisor.run(runId);
    const path = supervisor.runLogPath(record);
    const follow = boolQuery(event, 'follow');
    if (follow && supervisor.isRunActive(runId)) return text(followers.follow(runId, path), 'file');
    const file = await openLogFile(path);
    if (file) return text(logFileStream(file, path, logger), 'file');
    // Still waiting for a slot: its log file does not exist yet.
    if (supervisor.isRunActive(runId)) return text('', 'file');
    // Another server of the cluster ran it: its log file is there (SPEC §15, one view from any server).
    const owner = await supervisor.runOwnerUrl(record);
    const remote = owner === null ? null : await fromOwner(owner, runId, follow ? '?follow=true' : '', event.req.headers.get('authorization'));
    if (remote) return text(remote.body!, 'file', record.node);
    return tailOf(supervisor.run(runId));
  });
}
