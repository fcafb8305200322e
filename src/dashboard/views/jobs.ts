/**
 * The jobs view: broken job files first, then every job (id, source, schedule in words, next fire,
 * last run, a strip of the last 20 runs, paused, group), filtered by text, status and group and
 * sorted by any column. Rows are virtual: only those on screen exist in the DOM.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { describeSchedule, formatAbsolute, formatDuration, formatRelative, sourceLabel, STATUSES, statusLabel } from '../format.js';
import { html } from '../html.js';
import { useNow, useStore } from '../hooks.js';
import { hrefJob } from '../route.js';
import type { Job } from '../store.js';
import { BrokenFiles } from './broken.js';
import { StatusBadge, Strip } from './status.js';
import { VirtualRows } from './virtual-rows.js';

type Column = 'id' | 'source' | 'schedule' | 'next' | 'last' | 'recent' | 'paused' | 'group';

const COLUMNS: Array<{ key: Column; label: string }> = [
  { key: 'id', label: 'Job' },
  { key: 'source', label: 'Source' },
  { key: 'schedule', label: 'Schedule' },
  { key: 'next', label: 'Next fire' },
  { key: 'last', label: 'Last run' },
  { key: 'recent', label: 'Last 20 runs' },
  { key: 'paused', label: 'Paused' },
  { key: 'group', label: 'Group' },
];

interface Filters {
  text: string;
  status: string;
  group: string;
  sort: Column;
  descending: boolean;
}

/** Kept while the page lives: back from a job, the list is as it was left. */
let saved: Filters = { text: '', status: '', group: '', sort: 'id', descending: false };

/** Schedules in words, by job, while the schedule object stays the same. */
const words = new Map<string, { of: unknown; text: string }>();
function scheduleWords(job: Job): string {
  const known = words.get(job.job_id);
  if (known?.of === job.schedule) return known.text;
  const text = describeSchedule(job.schedule);
  words.set(job.job_id, { of: job.schedule, text });
  return text;
}

const failuresIn = (job: Job): number => job.recent_runs.filter((r) => r.status === 'failed' || r.status === 'timed_out').length;

function sortValue(job: Job, column: Column): string | number {
  switch (column) {
    case 'id':
      return job.job_id;
    case 'source':
      return sourceLabel(job.source);
    case 'schedule':
      return scheduleWords(job);
    case 'next':
      return job.next_run_time ? Date.parse(job.next_run_time) : Number.MAX_SAFE_INTEGER;
    case 'last':
      return job.status;
    case 'recent':
      return -failuresIn(job);
    case 'paused':
      return job.paused ? 0 : 1;
    case 'group':
      return job.group ?? '\uffff';
  }
}

function matches(job: Job, f: Filters, text: string): boolean {
  if (f.status === 'paused' ? !job.paused : f.status !== '' && job.status !== f.status) return false;
  if (f.group !== '' && (f.group === '\u0000' ? job.group !== null : job.group !== f.group)) return false;
  if (text === '') return true;
  return (
    job.job_id.toLowerCase().includes(text) ||
    job.source.toLowerCase().includes(text) ||
    scheduleWords(job).toLowerCase().includes(text) ||
    (job.group ?? '').toLowerCase().includes(text)
  );
}

function JobRow({ job, now }: { job: Job; now: number }) {
  const last = job.last_run;
  return html`<a class="jrow" href=${hrefJob(job.job_id)} data-job=${job.job_id} data-status=${job.status} data-last-run=${last?.run_id}>
    <span role="cell" class="c-id">${job.job_id}</span>
    <span role="cell" class="c-source" title=${job.source}>${sourceLabel(job.source)}</span>
    <span role="cell" class="c-schedule">${scheduleWords(job)}</span>
    <span role="cell" class="c-next" title=${job.next_run_time ? formatAbsolute(job.next_run_time, true) : ''}>${job.next_run_time ? formatRelative(job.next_run_time, now) : '–'}</span>
    <span role="cell" class="c-last"><${StatusBadge} status=${job.status} /> <span class="dur">${job.running ? '' : formatDuration(last?.duration_ms)}</span></span>
    <span role="cell" class="c-recent"><${Strip} runs=${job.recent_runs} /></span>
    <span role="cell" class="c-paused">${job.paused ? html`<span class="badge paused">paused</span>` : ''}</span>
    <span role="cell" class="c-group">${job.group ?? ''}</span>
  </a>`;
}

export function JobsView() {
  const store = useStore();
  const now = useNow();
  const [f, setF] = useState<Filters>(saved);
  const filterRef = useRef<HTMLInputElement>(null);
  const set = (patch: Partial<Filters>): void => setF((old) => (saved = { ...old, ...patch }));

  useEffect(() => {
    // "/" jumps to the filter, as in many list UIs.
    const onKey = (e: KeyboardEvent): void => {
      const inField = (e.target as HTMLElement).closest('input, select, textarea, dialog');
      if (e.key === '/' && !inField) {
        e.preventDefault();
        filterRef.current?.focus();
      }
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, []);

  const groups = useMemo(() => [...new Set([...store.jobs.values()].flatMap((job) => (job.group ? [job.group] : [])))].sort(), [store.jobsVersion]);
  const rows = useMemo(() => {
    const text = f.text.trim().toLowerCase();
    const list = [...store.jobs.values()].filter((job) => matches(job, f, text));
    const sign = f.descending ? -1 : 1;
    const keyed = list.map((job) => ({ job, key: sortValue(job, f.sort) }));
    keyed.sort((a, b) => (a.key < b.key ? -sign : a.key > b.key ? sign : a.job.job_id < b.job.job_id ? -1 : 1));
    return keyed.map((k) => k.job);
  }, [store.jobsVersion, f]);

  const header = COLUMNS.map(({ key, label }) => {
    const active = f.sort === key;
    const sort = active ? (f.descending ? 'descending' : 'ascending') : 'none';
    return html`<span role="columnheader" class=${`c-${key}`} aria-sort=${sort}>
      <button type="button" class="sort" data-sort=${key} onClick=${() => set({ sort: key, descending: active ? !f.descending : false })}>
        ${label}${active ? (f.descending ? ' ▼' : ' ▲') : ''}
      </button>
    </span>`;
  });

  return html`<section class="jobs" aria-labelledby="jobs-title">
    <${BrokenFiles} files=${[...store.broken.values()]} />
    <div class="toolbar">
      <h1 id="jobs-title">Jobs <span class="count" data-count>${rows.length === store.jobs.size ? store.jobs.size : `${rows.length} of ${store.jobs.size}`}</span></h1>
      <label class="sr-only" for="filter-text">Filter jobs</label>
      <input id="filter-text" ref=${filterRef} type="search" placeholder="Filter (press /)" value=${f.text} onInput=${(e: Event) => set({ text: (e.target as HTMLInputElement).value })} />
      <label class="sr-only" for="filter-status">Status</label>
      <select id="filter-status" value=${f.status} onChange=${(e: Event) => set({ status: (e.target as HTMLSelectElement).value })}>
        <option value="">any status</option>
        ${STATUSES.map((s) => html`<option value=${s}>${statusLabel(s)}</option>`)}
        <option value="paused">paused</option>
      </select>
      <label class="sr-only" for="filter-group">Group</label>
      <select id="filter-group" value=${f.group} onChange=${(e: Event) => set({ group: (e.target as HTMLSelectElement).value })}>
        <option value="">any group</option>
        <option value=${'\u0000'}>no group</option>
        ${groups.map((g) => html`<option value=${g}>${g}</option>`)}
      </select>
    </div>
    ${!store.loaded && !store.loadError ? html`<p class="muted">Loading…</p>` : null}
    ${store.loaded && store.jobs.size === 0
      ? html`<p class="empty">No jobs yet. Put a job file in the jobs folder, or register one: <code>mxx register job.toml</code>.</p>`
      : html`<div class="table" role="table" aria-label="Jobs" aria-rowcount=${rows.length + 1}>
          <div class="thead" role="row" aria-rowindex="1">${header}</div>
          <${VirtualRows} items=${rows} keyOf=${(job: Job) => job.job_id} label="Jobs" render=${(job: Job) => html`<${JobRow} job=${job} now=${now} />`} />
        </div>`}
  </section>`;
}
