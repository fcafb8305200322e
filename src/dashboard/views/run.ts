/**
 * One run: its record, and its log, followed live while it runs (GET /runs/{id}/log?follow=true,
 * read as a stream). The log box scrolls with new output until the user scrolls up, and again once
 * they scroll back to the end. ANSI colours are rendered (other control sequences dropped); the
 * log is appended to the DOM directly, not through the virtual DOM: a log can have 100 000 lines.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { RunRecord } from '../../records.js';
import { AnsiParser, type Segment } from '../ansi.js';
import { apiFetch, ApiError, enc, getJson } from '../api.js';
import { formatAbsolute, formatDuration } from '../format.js';
import { html } from '../html.js';
import { useNow } from '../hooks.js';
import { hrefJob } from '../route.js';
import { store } from '../store.js';
import { StatusBadge } from './status.js';

const ACTIVE = new Set(['running', 'queued']);

function append(pre: HTMLElement, segments: Segment[]): void {
  const fragment = document.createDocumentFragment();
  for (const s of segments) {
    if (!s.classes && !s.color && !s.background) {
      fragment.append(s.text);
      continue;
    }
    const span = document.createElement('span');
    if (s.classes) span.className = s.classes;
    // CSSOM, not a style attribute: allowed by the page's style-src 'self'.
    if (s.color) span.style.color = s.color;
    if (s.background) span.style.backgroundColor = s.background;
    span.textContent = s.text;
    fragment.append(span);
  }
  pre.append(fragment);
}

type LogState = 'loading' | 'following' | 'done' | 'missing';

export function RunView({ id }: { id: string }) {
  const now = useNow();
  const [record, setRecord] = useState<RunRecord | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [log, setLog] = useState<LogState>('loading');
  const [follow, setFollow] = useState(true);
  const followRef = useRef(true);
  const pre = useRef<HTMLPreElement>(null);

  const loadRecord = async (): Promise<RunRecord | null> => {
    try {
      const r = await getJson<RunRecord>(`/runs/${enc(id)}`);
      setRecord(r);
      setProblem(null);
      return r;
    } catch (error) {
      setProblem(error instanceof ApiError ? `${error.message}${error.hint ? ` — ${error.hint}` : ''}` : String(error));
      return null;
    }
  };

  useEffect(() => {
    const controller = new AbortController();
    let stopped = false;
    const readLog = async (): Promise<void> => {
      const first = await loadRecord();
      if (!first || stopped || !pre.current) return;
      const live = ACTIVE.has(first.status);
      setLog(live ? 'following' : 'loading');
      pre.current.textContent = '';
      try {
        const response = await apiFetch(`/runs/${enc(id)}/log${live ? '?follow=true' : ''}`, { signal: controller.signal });
        const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
        const parser = new AnsiParser();
        for (;;) {
          const { done, value } = await reader.read();
          if (done || stopped) break;
          const box = pre.current;
          if (!box) break;
          append(box, parser.push(value));
          if (followRef.current) box.scrollTop = box.scrollHeight;
        }
        setLog('done');
      } catch (error) {
        if (stopped) return;
        if (error instanceof ApiError && error.code === 'LOG_NOT_FOUND') {
          setLog('missing');
          setProblem(error.message);
        } else setLog('done');
      }
      if (!stopped) await loadRecord();
    };
    void readLog();
    const off = store.onEvent((event) => {
      if ('run_id' in event && event.run_id === id && event.type !== 'run.started') void loadRecord();
    });
    return () => {
      stopped = true;
      controller.abort();
      off();
    };
  }, [id]);

  const onScroll = (): void => {
    const box = pre.current;
    if (!box) return;
    const atEnd = box.scrollHeight - box.scrollTop - box.clientHeight < 8;
    if (atEnd !== followRef.current) {
      followRef.current = atEnd;
      setFollow(atEnd);
    }
  };
  const toEnd = (): void => {
    followRef.current = true;
    setFollow(true);
    if (pre.current) pre.current.scrollTop = pre.current.scrollHeight;
  };

  const r = record;
  const running = r ? ACTIVE.has(r.status) : false;
  const elapsed = r?.started_at && running ? now - Date.parse(r.started_at) : null;
  return html`<section class="run" aria-labelledby="run-title" data-run-view=${id}>
    <p class="crumbs"><a href="#/">Jobs</a> / ${r && html`<a href=${hrefJob(r.job_id)}>${r.job_id}</a> /`}</p>
    <h1 id="run-title">Run <code>${id}</code> ${r && html`<${StatusBadge} status=${r.status} />`}</h1>
    ${problem && html`<p class="error" role="alert">${problem}</p>`}
    ${r &&
    html`<dl class="facts" data-final=${running ? undefined : r.status}>
      <div><dt>Trigger</dt><dd>${r.trigger}${r.attempt > 0 ? ` (retry ${r.attempt})` : ''}</dd></div>
      <div><dt>Scheduled</dt><dd>${r.scheduled_at ? formatAbsolute(r.scheduled_at, true) : '–'}</dd></div>
      <div><dt>Started</dt><dd>${r.started_at ? formatAbsolute(r.started_at, true) : '–'}</dd></div>
      <div><dt>${running ? 'Running for' : 'Duration'}</dt><dd>${formatDuration(elapsed ?? r.duration_ms)}</dd></div>
      <div><dt>Exit code</dt><dd>${r.exit_code ?? '–'}${r.signal ? ` (${r.signal})` : ''}</dd></div>
      <div><dt>PID</dt><dd>${r.pid ?? '–'}</dd></div>
      ${r.error && html`<div class="wide"><dt>Error</dt><dd>${r.error}</dd></div>`}
    </dl>`}
    ${r?.log_truncated && html`<p class="note" data-truncated>The log hit its size cap: later output was not kept (the log ends with a note saying where).</p>`}
    <div class="log-bar">
      <h2>Log</h2>
      <span class="muted" data-log-state=${log}>${log === 'following' ? (follow ? 'following live' : 'following live — scrolled up, not scrolling') : log === 'loading' ? 'loading…' : log === 'missing' ? 'no log' : running ? '' : 'complete'}</span>
      ${!follow && html`<button type="button" class="btn" onClick=${toEnd}>Scroll to end</button>`}
    </div>
    <pre ref=${pre} class="log" tabindex="0" aria-label="Run output" aria-live="off" data-log onScroll=${onScroll}></pre>
  </section>`;
}
