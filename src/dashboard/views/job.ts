/**
 * One job: its state and actions (Run now, Pause/Resume, Stop, Clear history, Unregister), the next
 * 10 fires, the definition as TOML (and the file for file jobs), a chart of the last 100 runs'
 * durations and the run history, paged. Its own data is fetched again when an event names the job.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { NextBody, RegistryEntryBody, RunListBody, RunsBody } from '../../api/types.js';
import type { ServerEvent } from '../../events/types.js';
import type { RunRecord } from '../../records.js';
import { act, ApiError, enc, getJson } from '../api.js';
import { describeSchedule, formatAbsolute, formatDuration, formatRelative, sourceLabel } from '../format.js';
import { html } from '../html.js';
import { useNow, useStore } from '../hooks.js';
import { hrefRun } from '../route.js';
import { store } from '../store.js';
import { toToml } from '../toml.js';
import { DurationChart } from './chart.js';
import { confirmAction } from './dialogs.js';
import { StatusBadge } from './status.js';

const PAGE = 20;

interface Data {
  entry: RegistryEntryBody | null;
  next: string[];
  chart: RunRecord[];
}

/** Fetches what `parts` names, once per burst of events (150 ms). */
function useJobData(id: string): { data: Data; page: RunListBody | null; before: string[]; setBefore(b: string[]): void; missing: boolean } {
  const [data, setData] = useState<Data>({ entry: null, next: [], chart: [] });
  const [page, setPage] = useState<RunListBody | null>(null);
  const [before, setBefore] = useState<string[]>([]);
  const [missing, setMissing] = useState(false);
  const pending = useRef(new Set<'entry' | 'next' | 'chart' | 'page'>());
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const beforeRef = useRef(before);
  beforeRef.current = before;

  const load = async (): Promise<void> => {
    timer.current = null;
    const parts = new Set(pending.current);
    pending.current.clear();
    const base = `/jobs/${enc(id)}`;
    try {
      const [entry, next, chart, runs] = await Promise.all([
        parts.has('entry') ? getJson<RegistryEntryBody>(`/registry/${enc(id)}`) : null,
        parts.has('next') ? getJson<NextBody>(`${base}/next?n=10`) : null,
        parts.has('chart') ? getJson<RunsBody>(`${base}/runs?limit=100`) : null,
        parts.has('page') ? getJson<RunListBody>(`/runs?job=${enc(id)}&limit=${PAGE}${beforeRef.current.length ? `&before=${enc(beforeRef.current.at(-1)!)}` : ''}`) : null,
      ]);
      setMissing(false);
      setData((old) => ({ entry: entry ?? old.entry, next: next ? next.next : old.next, chart: chart ? chart.runs : old.chart }));
      if (runs) setPage(runs);
    } catch (error) {
      if (error instanceof ApiError && (error.code === 'JOB_NOT_FOUND' || error.status === 404)) setMissing(true);
    }
  };
  const want = (...parts: Array<'entry' | 'next' | 'chart' | 'page'>): void => {
    for (const part of parts) pending.current.add(part);
    timer.current ??= setTimeout(() => void load(), 150);
  };

  useEffect(() => {
    want('entry', 'next', 'chart', 'page');
    const offEvent = store.onEvent((event: ServerEvent) => {
      if (!('job_id' in event) || event.job_id !== id) return;
      if (event.type.startsWith('run.')) want('chart', ...(beforeRef.current.length === 0 ? (['page'] as const) : []), ...(event.type === 'run.started' ? (['next'] as const) : []));
      else if (event.type === 'job.removed') setMissing(true);
      else want('entry', 'next');
    });
    const offReload = store.onReload(() => want('entry', 'next', 'chart', 'page'));
    return () => {
      offEvent();
      offReload();
      if (timer.current) clearTimeout(timer.current);
    };
  }, [id]);
  useEffect(() => want('page'), [before]);
  return { data, page, before, setBefore, missing };
}

function Actions({ id, job, fromFile, file }: { id: string; job: ReturnType<typeof store.jobs.get>; fromFile: boolean; file: string | undefined }) {
  const [busy, setBusy] = useState<string | null>(null);
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);
  const run = async (name: string, action: () => Promise<{ message?: string; status?: string; run_id?: string }>, done: (body: any) => string): Promise<void> => {
    setBusy(name);
    setMessage(null);
    try {
      setMessage({ text: done(await action()), error: false });
    } catch (error) {
      const e = error as ApiError;
      setMessage({ text: `${e.message}${e.hint ? ` — ${e.hint}` : ''}`, error: true });
    } finally {
      setBusy(null);
    }
  };
  const path = `/jobs/${enc(id)}`;
  const running = job?.running ?? false;
  const paused = job?.paused ?? false;
  return html`<div class="actions" role="group" aria-label="Actions">
    <button type="button" class="btn primary" data-action="trigger" disabled=${busy !== null} onClick=${() =>
      run('trigger', () => act('POST', `${path}/trigger`), (b) => (b.status === 'queued' ? `Queued as run ${b.run_id}.` : `Started run ${b.run_id}.`))}>Run now</button>
    ${paused
      ? html`<button type="button" class="btn" data-action="resume" disabled=${busy !== null} onClick=${() => run('resume', () => act('POST', `${path}/resume`), () => 'Resumed.')}>Resume</button>`
      : html`<button type="button" class="btn" data-action="pause" disabled=${busy !== null} onClick=${() => run('pause', () => act('DELETE', path), () => 'Paused: it fires no more until resumed.')}>Pause</button>`}
    <button type="button" class="btn danger" data-action="stop" disabled=${busy !== null || !running} onClick=${async () => {
      if (await confirmAction(`Stop ${id}?`, `Its running run(s) get SIGTERM, then SIGKILL after the grace period, and end as cancelled.`, 'Stop'))
        await run('stop', () => act('POST', `${path}/stop`), (b) => b.message ?? 'Stopped.');
    }}>Stop</button>
    <button type="button" class="btn danger" data-action="remove" disabled=${busy !== null || running} title="Forget its run history and logs" onClick=${async () => {
      if (await confirmAction(`Clear the history of ${id}?`, 'Every run record and log of this job is deleted. The job stays registered.', 'Clear history'))
        await run('remove', () => act('POST', `${path}/remove`), () => 'Run history and logs cleared.');
    }}>Clear history</button>
    ${fromFile
      ? html`<p class="note" data-file-note>Defined by the job file <code>${file}</code>: edit the file to change this job, delete it to unregister it.</p>`
      : html`<button type="button" class="btn danger" data-action="unregister" disabled=${busy !== null} onClick=${async () => {
          if (await confirmAction(`Unregister ${id}?`, 'The job and its schedule are removed; a run in progress finishes on its own.', 'Unregister')) {
            await run('unregister', () => act('DELETE', `/registry/${enc(id)}`), () => 'Unregistered.');
          }
        }}>Unregister</button>`}
    <p class=${message?.error ? 'error' : 'ok'} role="status" aria-live="polite" data-message>${message?.text ?? ''}</p>
  </div>`;
}

function History({ page, before, setBefore }: { page: RunListBody | null; before: string[]; setBefore(b: string[]): void }) {
  if (!page) return html`<p class="muted">Loading…</p>`;
  if (page.runs.length === 0 && before.length === 0) return html`<p class="muted">No runs yet.</p>`;
  return html`<div class="history">
    <table class="runs" data-history>
      <thead><tr><th scope="col">Status</th><th scope="col">Trigger</th><th scope="col">Started</th><th scope="col">Duration</th><th scope="col">Exit</th><th scope="col">Run</th></tr></thead>
      <tbody>
        ${page.runs.map(
          (r) => html`<tr key=${r.run_id} data-run=${r.run_id} data-status=${r.status}>
            <td><${StatusBadge} status=${r.status} /></td>
            <td>${r.trigger}</td>
            <td title=${r.started_at ?? r.scheduled_at ?? ''}>${r.started_at ? formatAbsolute(r.started_at, true) : r.scheduled_at ? `(${formatAbsolute(r.scheduled_at, true)})` : '–'}</td>
            <td>${formatDuration(r.duration_ms)}</td>
            <td>${r.exit_code ?? (r.signal ? r.signal : '–')}</td>
            <td><a href=${hrefRun(r.run_id)}>${r.run_id}</a></td>
          </tr>`,
        )}
      </tbody>
    </table>
    <div class="pager">
      <button type="button" class="btn" disabled=${before.length === 0} onClick=${() => setBefore(before.slice(0, -1))}>Newer</button>
      <span class="muted">page ${before.length + 1}</span>
      <button type="button" class="btn" data-older disabled=${page.next_before === undefined} onClick=${() => page.next_before && setBefore([...before, page.next_before])}>Older</button>
    </div>
  </div>`;
}

export function JobView({ id }: { id: string }) {
  const store = useStore();
  const now = useNow();
  const { data, page, before, setBefore, missing } = useJobData(id);
  const job = store.jobs.get(id);
  const entry = data.entry;
  if (missing && !job) {
    return html`<section class="job"><h1>${id}</h1><p class="empty" data-missing>There is no job ${id} (any more). <a href="#/">All jobs</a></p></section>`;
  }
  const fromFile = entry ? entry.source !== 'api' : job ? job.source !== 'api' : false;
  const file = entry?.file;
  const definition = entry ? toToml({ ...entry.config, ...(entry.schedule ? { schedule: entry.schedule } : {}) }) : '';
  const loadError = entry?.load_error;
  return html`<section class="job" aria-labelledby="job-title" data-job-view=${id}>
    <p class="crumbs"><a href="#/">Jobs</a> /</p>
    <h1 id="job-title">${id} ${job && html`<${StatusBadge} status=${job.status} />`} ${job?.paused && html`<span class="badge paused" data-paused>paused</span>`}</h1>
    <dl class="facts">
      <div><dt>Schedule</dt><dd>${describeSchedule(job?.schedule ?? entry?.schedule ?? null)}</dd></div>
      <div><dt>Source</dt><dd>${job ? sourceLabel(job.source) : ''}</dd></div>
      <div><dt>Next fire</dt><dd title=${job?.next_run_time ? formatAbsolute(job.next_run_time, true) : ''} data-next>${job?.next_run_time ? formatRelative(job.next_run_time, now) : '–'}</dd></div>
      <div><dt>Runs</dt><dd>${job?.execution_count ?? '–'}</dd></div>
      ${job?.group && html`<div><dt>Group</dt><dd>${job.group}</dd></div>`}
      ${job?.running && html`<div><dt>Running</dt><dd>${job.running_runs.map((r) => html`<a href=${hrefRun(r)} data-running-run=${r}>${r}</a> `)}</dd></div>`}
    </dl>
    <${Actions} id=${id} job=${job} fromFile=${fromFile} file=${file} />
    ${loadError && html`<p class="error" role="alert">The job file failed to load: ${loadError}. The last good definition below stays active.</p>`}
    <div class="panels">
      <section class="panel" aria-labelledby="next-title">
        <h2 id="next-title">Next fires</h2>
        ${data.next.length === 0 || job?.paused
          ? html`<p class="muted">${job?.paused ? 'Paused: none until resumed.' : job?.on_demand ? 'On demand: runs only when triggered.' : 'None.'}</p>`
          : html`<ol class="next" data-next-fires>${data.next.map((t) => html`<li><time datetime=${t} title=${t}>${formatAbsolute(t, true)}</time> <span class="muted">${formatRelative(t, now)}</span></li>`)}</ol>`}
      </section>
      <section class="panel" aria-labelledby="def-title">
        <h2 id="def-title">Definition</h2>
        ${file && html`<p>File: <code data-file>${file}</code></p>`}
        <pre class="toml" data-definition>${definition}</pre>
      </section>
    </div>
    <section class="panel" aria-labelledby="chart-title">
      <h2 id="chart-title">Durations of the last ${data.chart.length} runs</h2>
      <${DurationChart} runs=${data.chart} />
    </section>
    <section class="panel" aria-labelledby="history-title">
      <h2 id="history-title">Run history</h2>
      <${History} page=${page} before=${before} setBefore=${setBefore} />
    </section>
  </section>`;
}
