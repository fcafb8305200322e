/** /jobs routes: register, list, status, cancel/resume/remove, trigger/stop, runs, next. */
import type { Routes } from './routes.js';
import { getQuery, type H3Event } from 'h3';
import { MxxError } from '../errors.js';
import { parseJobRequest } from '../job/parse.js';
import { toIsoLocal } from '../records.js';
import type { Supervisor } from '../supervisor/index.js';
import type { ActionBody, NextBody, RegisterBody, RunsBody, TriggerBody } from './types.js';
import { json, jsonText, readJsonBody } from './http.js';
import { createJobListing, recentRunsOf, type JobListingOptions } from './job-listing.js';
import { jobStatusBody } from './job-status.js';
import { boolQuery, intQuery, jobIdParam, jobIdsQuery } from './params.js';
import { registerTimelineRoute } from './timeline.js';

/** `recent_runs` holds at most this many runs. */
export const MAX_RECENT_RUNS = 100;
/** A page of GET /jobs holds at most this many jobs. */
export const MAX_PAGE_JOBS = 10_000;

export function registerJobRoutes(app: Routes, supervisor: Supervisor): void {
  const listing = createJobListing(supervisor);

  app.post('/jobs', async (event) => {
    const { definition, replaceExisting } = parseJobRequest(await readJsonBody(event));
    const registered = await supervisor.register(definition, { source: 'api', replace: replaceExisting });
    const body: RegisterBody = {
      job_id: registered.jobId,
      status: registered.onDemand ? 'registered' : 'scheduled',
      next_run: registered.nextFire === null ? null : toIsoLocal(registered.nextFire),
      on_demand: registered.onDemand,
      overlaps: registered.overlaps,
      ...(registered.replaced ? { replaced: true } : {}),
    };
    return json(body, registered.replaced ? 200 : 201);
  });

  // ?recent=N and ?job=ID (repeatable) are the dashboard's; without them the answer is as it was.
  // ?limit=N (&after=ID) pages the listing; without limit every job comes back, as before.
  const listingOptions = (event: H3Event): JobListingOptions => {
    const recent = intQuery(event, 'recent', 0, 0, MAX_RECENT_RUNS);
    const jobs = jobIdsQuery(event, 'job');
    const limit = intQuery(event, 'limit', 0, 1, MAX_PAGE_JOBS);
    const after = getQuery(event).after;
    if (after !== undefined && limit === 0) throw new MxxError('INVALID_REQUEST', 'query parameter after needs limit (e.g. ?limit=100&after=ID)');
    if (after !== undefined && typeof after !== 'string') throw new MxxError('INVALID_REQUEST', 'query parameter after must be one job id');
    const page = limit > 0 ? { page: { limit, ...(after === undefined ? {} : { after }) } } : {};
    return { recent, ...(jobs && { jobs }), ...page };
  };

  app.get('/jobs', (event) => jsonText(listing('all', listingOptions(event))));

  app.get('/jobs/active', (event) => jsonText(listing('active', listingOptions(event))));

  app.get('/jobs/:id', (event) => {
    const id = jobIdParam(event);
    const body = jobStatusBody(supervisor.job(id), { group: supervisor.definition(id)?.policy.group });
    const recent = intQuery(event, 'recent', 0, 0, MAX_RECENT_RUNS);
    return json(recent > 0 ? { ...body, recent_runs: recentRunsOf(supervisor, id, recent) } : body);
  });

  app.delete('/jobs/:id', async (event) => {
    const cancelled = await supervisor.cancel(jobIdParam(event), { terminate: boolQuery(event, 'terminate') });
    const message = cancelled.onDemand ? 'job paused' : 'schedule cancelled (paused)';
    return json({ job_id: cancelled.jobId, message, stopped: cancelled.stopped } satisfies ActionBody);
  });

  app.post('/jobs/:id/resume', async (event) => {
    const resumed = await supervisor.resume(jobIdParam(event));
    return json({ job_id: resumed.jobId, message: resumed.wasPaused ? 'resumed' : 'was not paused' } satisfies ActionBody);
  });

  app.post('/jobs/:id/remove', async (event) => {
    const id = jobIdParam(event);
    await supervisor.clearRuns(id);
    return json({ job_id: id, message: 'run history and logs cleared' } satisfies ActionBody);
  });

  app.post('/jobs/:id/trigger', async (event) => {
    const triggered = await supervisor.trigger(jobIdParam(event));
    const body: TriggerBody = {
      job_id: triggered.jobId,
      run_id: triggered.runId,
      execution_id: triggered.runId,
      status: triggered.queued ? 'queued' : 'triggered',
    };
    return json(body, triggered.queued ? 202 : 200);
  });

  app.post('/jobs/:id/stop', async (event) => {
    const id = jobIdParam(event);
    const stopped = await supervisor.stop(id);
    return json({ job_id: id, message: stopped.length ? `stopped ${stopped.length} run(s)` : 'nothing was running', stopped } satisfies ActionBody);
  });

  app.get('/jobs/:id/runs', (event) => {
    const id = jobIdParam(event);
    // An unknown job is a 404 whatever the limit says.
    const limit = supervisor.hasJob(id) ? intQuery(event, 'limit', 100, 1, 10_000) : undefined;
    const runs = supervisor.runs(id, limit === undefined ? {} : { limit });
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

  registerTimelineRoute(app, supervisor);
}
