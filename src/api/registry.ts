/** /registry routes: the persistent definitions, as stored. */
import type { Routes } from './routes.js';
import { getQuery } from 'h3';
import { MxxError } from '../errors.js';
import type { RegistryEntry } from '../records.js';
import type { Supervisor } from '../supervisor/index.js';
import type { RegistryEntryBody, RegistryListBody } from './types.js';
import { json } from './http.js';
import { jobIdParam } from './params.js';
import { wireSource } from './source.js';
import { loadRefusedClaims } from '../job-files.js';

const FILTERS = ['all', 'scheduled', 'on_demand'] as const;
type Filter = (typeof FILTERS)[number];

/** The registry entry with the job's live counters (persisted once a second). */
function entryOf(supervisor: Supervisor, entry: RegistryEntry): RegistryEntryBody {
  const counters = supervisor.hasJob(entry.job_id) ? pickCounters(supervisor.getJob(entry.job_id).entry) : {};
  return { ...entry, ...counters, source: wireSource(entry) };
}

function pickCounters(entry: RegistryEntry): Pick<RegistryEntry, 'execution_count' | 'last_triggered'> {
  return { execution_count: entry.execution_count, last_triggered: entry.last_triggered };
}

export function registerRegistryRoutes(app: Routes, supervisor: Supervisor): void {
  app.get('/registry', (event) => {
    const raw = getQuery(event).type ?? 'all';
    if (!FILTERS.includes(raw as Filter)) {
      throw new MxxError('INVALID_REQUEST', `type=${String(raw)} is not a registry filter`, {
        hint: `use one of: ${FILTERS.join(', ')}`,
      });
    }
    const filter = raw as Filter;
    const jobs = supervisor.registry
      .list()
      .filter((e) => filter === 'all' || (filter === 'scheduled' ? e.schedule !== null : e.schedule === null))
      .map((e) => entryOf(supervisor, e));
    return json({ jobs, count: jobs.length, filter } satisfies RegistryListBody);
  });

  app.get('/registry/:id', (event) => {
    const id = jobIdParam(event);
    const entry = supervisor.registry.get(id);
    if (!entry) throw new MxxError('JOB_NOT_FOUND', `job ${id} is not in the registry`);
    return json(entryOf(supervisor, entry));
  });

  app.delete('/registry/:id', async (event) => {
    const id = jobIdParam(event);
    const body = await supervisor.unregister(id, 'api');
    // A job file that was refused because the API held this id may load now.
    await loadRefusedClaims(supervisor, id);
    return json(body);
  });
}
