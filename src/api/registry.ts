/** /registry routes: the persistent definitions, with their live run counters. */
import type { Routes } from './routes.js';
import { getQuery } from 'h3';
import { MxxError } from '../errors.js';
import type { RegistryEntry } from '../records.js';
import type { Supervisor } from '../supervisor/index.js';
import type { ActionBody, RegistryEntryBody, RegistryListBody } from './types.js';
import { json } from './http.js';
import { jobIdParam } from './params.js';
import { wireSource } from './source.js';
import { loadRefusedClaims } from '../job-files.js';

const FILTERS = ['all', 'scheduled', 'on_demand'] as const;
type Filter = (typeof FILTERS)[number];

function entryBody(entry: RegistryEntry): RegistryEntryBody {
  return { ...entry, source: wireSource(entry) };
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
    const jobs = supervisor
      .entries()
      .filter((e) => filter === 'all' || (filter === 'scheduled' ? e.schedule !== null : e.schedule === null))
      .map(entryBody);
    return json({ jobs, count: jobs.length, filter } satisfies RegistryListBody);
  });

  app.get('/registry/:id', (event) => {
    const id = jobIdParam(event);
    const entry = supervisor.entry(id);
    if (!entry) throw new MxxError('JOB_NOT_FOUND', `job ${id} is not in the registry`);
    return json(entryBody(entry));
  });

  app.delete('/registry/:id', async (event) => {
    const id = jobIdParam(event);
    const { running } = await supervisor.unregister(id, 'api');
    // A job file that was refused because the API held this id may load now.
    await loadRefusedClaims(supervisor, id);
    const message = running ? `unregistered; ${running} run(s) in progress will finish` : 'unregistered';
    return json({ job_id: id, message } satisfies ActionBody);
  });
}
