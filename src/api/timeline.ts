/**
 * GET /timeline?hours=24&limit=200&job=ID: the fires of every armed job in the next `hours`, for
 * the dashboard's timeline (the visual `systemctl list-timers`) in one request instead of one
 * GET /jobs/{id}/next per job. A job that fires more often than `limit` times in the window is cut
 * at `limit` fires with `more: true` (an every-second job has 86 400 a day; a time axis a screen
 * wide cannot show more than a few hundred apart).
 */
import { toIsoLocal } from '../records.js';
import type { Supervisor } from '../supervisor/index.js';
import { json } from './http.js';
import { intQuery, jobIdsQuery } from './params.js';
import type { Routes } from './routes.js';
import type { TimelineBody, TimelineJob } from './types.js';

/** @default 24 */
export const DEFAULT_TIMELINE_HOURS = 24;
/** @default 200 */
export const DEFAULT_TIMELINE_LIMIT = 200;

export function registerTimelineRoute(app: Routes, supervisor: Supervisor): void {
  app.get('/timeline', (event) => {
    const hours = intQuery(event, 'hours', DEFAULT_TIMELINE_HOURS, 1, 24 * 31);
    const limit = intQuery(event, 'limit', DEFAULT_TIMELINE_LIMIT, 1, 5000);
    const asked = jobIdsQuery(event, 'job');
    const from = Date.now();
    const to = from + hours * 3_600_000;
    const jobs: TimelineJob[] = [];
    const ids = asked ?? supervisor.listJobs('scheduled').map((job) => job.id);
    for (const id of ids) {
      const view = asked && supervisor.hasJob(id) ? supervisor.job(id) : undefined;
      if (asked && !view) continue;
      // Paused, on-demand and exhausted jobs have nothing armed: they will not fire.
      const armed = view === undefined || (!view.paused && view.nextFire !== null);
      const fires = armed ? supervisor.nextFires(id, limit + 1, from).filter((t) => t <= to) : [];
      if (fires.length === 0 && !asked) continue;
      jobs.push({ job_id: id, fires: fires.slice(0, limit).map(toIsoLocal), more: fires.length > limit });
    }
    return json({ from: toIsoLocal(from), to: toIsoLocal(to), jobs, count: jobs.length } satisfies TimelineBody);
  });
}
