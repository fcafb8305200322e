/** GET /health, GET /nodes and POST /validate: the routes that touch no job. */
import type { Routes } from './routes.js';
import { MxxError, isMxxError } from '../errors.js';
import { parseJobDocument } from '../job/parse.js';
import { createSchedule } from '../job/schedule.js';
import type { ValidationIssue } from '../job/types.js';
import { toIsoLocal } from '../records.js';
import type { Supervisor } from '../supervisor/index.js';
import { VERSION } from '../version.js';
import { spawnerInUse } from '../../workers/spawner-select.js';
import type { HealthBody, NodesBody, ValidateBody } from './types.js';
import type { NodeView } from '../cluster/nodes.js';
import { hostname } from 'node:os';
import { json, readJsonBody, requireObject } from './http.js';

function clusterField(supervisor: Supervisor): Pick<HealthBody, 'cluster'> {
  const cluster = supervisor.clusterStatus();
  return cluster ? { cluster } : {};
}

export function registerHealthRoutes(app: Routes, supervisor: Supervisor, jobsFolder?: () => HealthBody['jobs_folder']): void {
  app.get('/health', () => {
    const loadErrors = supervisor.listLoadErrors();
    const folder = jobsFolder?.();
    return json({
      status: 'healthy',
      service: 'mxx-scheduler',
      version: VERSION,
      uptime_s: Math.round((Date.now() - supervisor.startedAt) / 1000),
      jobs: supervisor.jobCount,
      running: supervisor.runningCount,
      queued: supervisor.queuedCount,
      load_errors: loadErrors.length,
      load_error_files: loadErrors.map(({ file, error }) => ({ file, error })),
      ...(folder ? { jobs_folder: folder } : {}),
      faults: supervisor.faultCounts(),
      spawner: spawnerInUse(),
      labels: [...supervisor.labels],
      // Kind and connection only: the database's address stays out of an answer monitors poll.
      store: { kind: supervisor.store.status().kind, connected: supervisor.store.status().connected },
      ...clusterField(supervisor),
    } satisfies HealthBody);
  });

  app.get('/nodes', async (event) => {
    const nodes = await supervisor.nodes();
    if (nodes) return json({ store: 'postgres', nodes } satisfies NodesBody);
    // One server with its files: itself, always alive.
    const self: NodeView = {
      id: 'local',
      host: hostname(),
      url: event.url.origin,
      version: VERSION,
      labels: [...supervisor.labels],
      epoch: 0,
      started_at: new Date(supervisor.startedAt).toISOString(),
      lease_age_ms: 0,
      alive: true,
      running: supervisor.runningCount,
      self: true,
    };
    return json({ store: 'files', nodes: [self] } satisfies NodesBody);
  });

  app.post('/validate', async (event) => {
    const body = requireObject(await readJsonBody(event), 'the request body');
    const config = requireObject(body.config ?? {}, 'config');
    if (body.schedule !== undefined && config.schedule !== undefined) {
      throw new MxxError('INVALID_REQUEST', 'give schedule either beside config or inside it, not both');
    }
    const doc = body.schedule === undefined ? config : { ...config, schedule: body.schedule };
    try {
      // With the clock, as a registration would be checked: a run_date already past is refused.
      const now = Date.now();
      const def = parseJobDocument(doc, { id: 'validate', source: 'request', now });
      const next = def.schedule ? createSchedule(def.schedule, now).nextN(now, 5).map(toIsoLocal) : [];
      return json({ valid: true, errors: [], next } satisfies ValidateBody);
    } catch (error) {
      if (!isMxxError(error) || error.code !== 'INVALID_JOB') throw error;
      const errors = Array.isArray(error.details)
        ? (error.details as ValidationIssue[])
        : [{ path: '', message: error.message }];
      return json({ valid: false, errors, next: [] } satisfies ValidateBody);
    }
  });
}
