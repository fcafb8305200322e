/**
 * The next 24 h of fires, one row per job, on one time axis (the visual `systemctl list-timers`),
 * from an hour back so that running runs show as bars growing towards "now". Fires come from
 * GET /timeline; a job an event touches is fetched again alone (?job=). A job that fires more often
 * than the answer holds is drawn as a band.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { TimelineBody, TimelineJob } from '../../api/types.js';
import { enc, getJson } from '../api.js';
import { describeSchedule, formatAbsolute, formatSpan } from '../format.js';
import { html } from '../html.js';
import { useNow, useStore } from '../hooks.js';
import { hrefJob } from '../route.js';
import { store } from '../store.js';
import { VirtualRows } from './virtual-rows.js';

const HOURS = 24;
const BACK_MS = 3_600_000;
const SPAN_MS = HOURS * 3_600_000 + BACK_MS;
const LIMIT = 200;

interface Row {
  id: string;
  fires: number[];
  more: boolean;
  running: number[];
}

function useTimeline(): Map<string, TimelineJob> {
  const [byJob, setByJob] = useState(new Map<string, TimelineJob>());
  const dirty = useRef(new Set<string>());
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => {
    let alive = true;
    const all = async (): Promise<void> => {
      const body = await getJson<TimelineBody>(`/timeline?hours=${HOURS}&limit=${LIMIT}`).catch(() => null);
      if (body && alive) setByJob(new Map(body.jobs.map((j) => [j.job_id, j])));
    };
    const some = async (): Promise<void> => {
      timer.current = null;
      const ids = [...dirty.current];
      dirty.current.clear();
      const body = await getJson<TimelineBody>(`/timeline?hours=${HOURS}&limit=${LIMIT}&job=${ids.map(enc).join(',')}`).catch(() => null);
      if (!body || !alive) return;
      setByJob((old) => {
        const next = new Map(old);
        for (const id of ids) next.delete(id);
        for (const j of body.jobs) if (j.fires.length > 0) next.set(j.job_id, j);
        return next;
      });
    };
    void all();
    const off = store.onEvent((event) => {
      if (!('job_id' in event) || event.job_id === undefined) return;
      if (event.type !== 'run.started' && !event.type.startsWith('job.')) return;
      dirty.current.add(event.job_id);
      timer.current ??= setTimeout(() => void some(), 300);
    });
    const offReload = store.onReload(() => void all());
    return () => {
      alive = false;
      off();
      offReload();
      if (timer.current) clearTimeout(timer.current);
    };
  }, []);
  return byJob;
}

const pct = (t: number, from: number): string => `${(((t - from) / SPAN_MS) * 100).toFixed(3)}%`;

function Axis({ from, now }: { from: number; now: number }) {
  const marks = [];
  const first = Math.ceil(from / 3_600_000 / 3) * 3 * 3_600_000;
  for (let t = first; t < from + SPAN_MS; t += 3 * 3_600_000) {
    const d = new Date(t);
    marks.push(html`<span class="mark" style=${{ left: pct(t, from) }}>${String(d.getHours()).padStart(2, '0')}:00</span>`);
  }
  return html`<div class="axis" aria-hidden="true">${marks}<span class="now-mark" style=${{ left: pct(now, from) }}>now</span></div>`;
}

function TimelineRow({ row, from, now }: { row: Row; from: number; now: number }) {
  const fires = row.fires.filter((t) => t >= from);
  const ticks = fires.map((t) => html`<span class="tick" style=${{ left: pct(t, from) }} title=${formatAbsolute(t, true)}></span>`);
  const band =
    row.more && fires.length > 0
      ? html`<span class="band" style=${{ left: pct(fires.at(-1)!, from), right: "0" }} title=${`more than ${LIMIT} fires in ${HOURS} h`}></span>`
      : null;
  const bars = row.running.map((start) => {
    const s = Math.max(start, from);
    return html`<span class="runbar" data-runbar style=${{ left: pct(s, from), width: pct(from + Math.max(0, now - s), from) }} title=${`running for ${formatSpan(now - start)}`}></span>`;
  });
  const job = store.jobs.get(row.id);
  return html`<div class="trow" data-timeline-job=${row.id}>
    <a role="rowheader" class="t-id" href=${hrefJob(row.id)} title=${job ? describeSchedule(job.schedule) : ''}>${row.id}</a>
    <span role="cell" class="t-lane" aria-label=${`${fires.length}${row.more ? '+' : ''} fires in the next ${HOURS} h${row.running.length ? `, ${row.running.length} running` : ''}`}>
      <span class="now-line" style=${{ left: pct(now, from) }}></span>${band}${ticks}${bars}
    </span>
  </div>`;
}

export function TimelineView() {
  const s = useStore();
  const now = useNow();
  const byJob = useTimeline();
  const from = now - BACK_MS;
  const rows = useMemo(() => {
    const out = new Map<string, Row>();
    for (const [id, j] of byJob) out.set(id, { id, fires: j.fires.map((t) => Date.parse(t)), more: j.more, running: [] });
    for (const job of s.jobs.values()) {
      if (!job.running) continue;
      const start = job.start_time ? Date.parse(job.start_time) : now;
      const row = out.get(job.job_id) ?? { id: job.job_id, fires: [], more: false, running: [] };
      row.running = [start];
      out.set(job.job_id, row);
    }
    return [...out.values()].sort((a, b) => (a.fires[0] ?? Infinity) - (b.fires[0] ?? Infinity) || (a.id < b.id ? -1 : 1));
  }, [byJob, s.jobsVersion]);
  return html`<section class="timeline" aria-labelledby="timeline-title">
    <h1 id="timeline-title">Timeline <span class="count muted">next ${HOURS} h · ${rows.length} jobs</span></h1>
    ${rows.length === 0
      ? html`<p class="empty">Nothing fires in the next ${HOURS} hours and nothing runs.</p>`
      : html`<div class="table ttable" role="table" aria-label="Fires in the next 24 hours" aria-rowcount=${rows.length + 1}>
          <div class="thead trow" role="row"><span role="columnheader" class="t-id">Job</span><span role="columnheader" class="t-lane"><${Axis} from=${from} now=${now} /></span></div>
          <${VirtualRows} items=${rows} keyOf=${(r: Row) => r.id} label="Jobs" render=${(row: Row) => html`<${TimelineRow} row=${row} from=${from} now=${now} />`} />
        </div>`}
  </section>`;
}
