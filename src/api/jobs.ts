/** /jobs routes: register, list, status, cancel/resume/remove, trigger/stop, runs, next. */
import type { H3Event } from 'h3';
import type { Routes } from './routes.js';
import { getQuery } from 'h3';
import { MxxError } from '../errors.js';
import { parseJobRequest } from '../job/parse.js';
import { toIsoLocal } from '../records.js';
import type { Supervisor } from '../supervisor/index.js';
import type { NextBody, RunsBody } from './types.js';
import { json, jsonText, readJsonBody } from './http.js';
import { jobIdParam } from './params.js';
import { wireSource } from './source.js';

export function intQuery(event: H3Event, name: string, fallback: number, min: number, max: number): number {
  const raw = getQuery(event)[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new MxxError('INVALID_REQUEST', `query parameter ${name} must be a whole number from ${min} to ${max}`);
  }
  return value;
}

function boolQuery(event: H3Event, name: string): boolean {
  const raw = getQuery(event)[name];
  return raw === 'true' || raw === '1' || raw === 'yes';
}

export function registerJobRoutes(app: Routes, supervisor: Supervisor): void {
  app.post('/jobs', async (event) => {
    const { definition, replaceExisting } = parseJobRequest(await readJsonBody(event));
    const body = await supervisor.register(definition, { source: 'api', replace: replaceExisting });
    return json(body, body.replaced ? 200 : 201);
  });

  // Served from the jobs' cached status JSON (shape: JobListBody).
  app.get('/jobs', () => jsonText(supervisor.listJson('all')));

  app.get('/jobs/active', () => jsonText(supervisor.listJson('active')));

  app.get('/jobs/:id', (event) => {
    const id = jobIdParam(event);
    return json({ ...supervisor.status(id), source: wireSource(supervisor.getJob(id).entry) });
  });

  app.delete('/jobs/:id', async (event) =>
    json(await supervisor.cancel(jobIdParam(event), boolQuery(event, 'terminate'))),
  );

  app.post('/jobs/:id/resume', async (event) => json(await supervisor.resume(jobIdParam(event))));

  app.post('/jobs/:id/remove', async (event) => json(await supervisor.clearRuns(jobIdParam(event))));

  app.post('/jobs/:id/trigger', (event) => {
    const body = supervisor.trigger(jobIdParam(event));
    return json(body, body.status === 'queued' ? 202 : 200);
  });

  app.post('/jobs/:id/stop', async (event) => {
    const id = jobIdParam(event);
    const stopped = await supervisor.stop(id);
    return json({ job_id: id, message: stopped.length ? `stopped ${stopped.length} run(s)` : 'nothing was running', stopped });
  });

  app.get('/jobs/:id/runs', (event) => {
    const id = jobIdParam(event);
    supervisor.getJob(id);
    const runs = supervisor.history.list(id, intQuery(event, 'limit', 100, 1, 10_000));
    return json({ job_id: id, runs, count: runs.length } satisfies RunsBody);
  });

  app.get('/jobs/:id/next', (event) => {
    const id = jobIdParam(event);
    const n = intQuery(event, 'n', 5, 1, 1000);
    const fromRaw = getQuery(event).from;
    let from = Date.now();
    if (typeof fromRaw === 'string' && fromRaw !== '') {
      from = Date.parse(fromRaw);
      if (Number.isNaN(from)) {
        throw new MxxError('INVALID_REQUEST', `query parameter from=${fromRaw} is not an ISO 8601 time`);
      }
    }
    const next = supervisor.nextFires(id, n, from).map(toIsoLocal);
    return json({ job_id: id, next } satisfies NextBody);
  });
}
