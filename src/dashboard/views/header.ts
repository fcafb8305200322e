/** The header: navigation, the server's figures (version, uptime, jobs, running, queued, failures in the last 24 h) and the connection state. */
import { formatSpan } from '../format.js';
import { html } from '../html.js';
import { useNow, useStore } from '../hooks.js';
import type { Route } from '../route.js';

function Stat({ name, label, value, warn = false }: { name: string; label: string; value: string; warn?: boolean }) {
  return html`<div class=${`stat${warn ? ' warn' : ''}`} data-stat=${name}><span class="stat-value">${value}</span> <span class="stat-label">${label}</span></div>`;
}

export function Header({ route }: { route: Route }) {
  const store = useStore();
  const now = useNow();
  const h = store.health;
  const uptime = h ? formatSpan(h.uptime_s * 1000 + (now - store.healthAt)) : '–';
  const failures = store.failuresSince(now);
  const nav = (view: Route['view'], href: string, label: string) =>
    html`<a href=${href} class="nav-link" aria-current=${route.view === view || (view === 'jobs' && route.view === 'job') ? 'page' : undefined}>${label}</a>`;
  return html`<header class="top">
    <div class="brand"><a href="#/" class="brand-link">mxx</a> <span class="version" data-stat="version">${h ? `v${h.version}` : ''}</span></div>
    <nav class="nav" aria-label="Views">${nav('jobs', '#/', 'Jobs')}${nav('timeline', '#/timeline', 'Timeline')}</nav>
    <div class="stats" aria-label="Server">
      <${Stat} name="uptime" label="up" value=${uptime} />
      <${Stat} name="jobs" label="jobs" value=${h ? String(h.jobs) : '–'} />
      <${Stat} name="running" label="running" value=${h ? String(Math.max(0, h.running - (h.queued ?? 0))) : '–'} />
      <${Stat} name="queued" label="queued" value=${h ? String(h.queued ?? 0) : '–'} />
      <${Stat} name="failures" label="failed 24 h" value=${`${failures}${store.failuresCapped ? '+' : ''}`} warn=${failures > 0} />
    </div>
    <div class=${`conn conn-${store.stream}`} data-connection=${store.stream} role="status" title=${store.streamDetail ?? ''}>
      ${store.stream === 'live' ? 'live' : store.stream === 'connecting' ? 'connecting…' : 'reconnecting…'}
    </div>
  </header>`;
}

/** Says so while the server is away, stopping, or a load failed. */
export function Banner() {
  const store = useStore();
  let text: string | null = null;
  if (store.stream === 'reconnecting') text = `Reconnecting to the server${store.streamDetail ? ` (${store.streamDetail})` : ''}… What you see may be out of date.`;
  else if (store.stopping) text = 'The server is stopping.';
  else if (store.loadError) text = `Could not load the jobs: ${store.loadError}`;
  if (!text) return null;
  return html`<div class="banner" role="alert" data-banner>${text}</div>`;
}
