/** A bar per run (oldest left), as tall as its duration, coloured by its status. Plain SVG. */
import type { RunRecord } from '../../records.js';
import { formatAbsolute, formatDuration, statusLabel } from '../format.js';
import { html } from '../html.js';

const W = 600;
const H = 120;

export function DurationChart({ runs }: { runs: readonly RunRecord[] }) {
  const timed = [...runs].reverse();
  if (timed.length === 0) return html`<p class="muted">No runs yet.</p>`;
  const max = Math.max(1, ...timed.map((r) => r.duration_ms ?? 0));
  const step = W / Math.max(timed.length, 20);
  const bars = timed.map((r, i) => {
    const d = r.duration_ms ?? 0;
    // Runs that never started (skipped, missed) get a sliver, so they are seen.
    const h = r.duration_ms === null ? 2 : Math.max(2, (d / max) * (H - 4));
    const when = r.started_at ?? r.scheduled_at;
    return html`<rect class=${`bar s-${r.status}`} x=${i * step + 1} y=${H - h} width=${Math.max(1, step - 2)} height=${h}>
      <title>${`${statusLabel(r.status)} · ${formatDuration(r.duration_ms)}${when ? ` · ${formatAbsolute(when, true)}` : ''}`}</title>
    </rect>`;
  });
  return html`<figure class="chart" data-chart=${timed.length}>
    <svg viewBox=${`0 0 ${W} ${H}`} preserveAspectRatio="none" role="img" aria-label=${`durations of ${timed.length} runs, longest ${formatDuration(max)}`}>
      <line class="axis" x1="0" y1=${H - 0.5} x2=${W} y2=${H - 0.5} />
      ${bars}
    </svg>
    <figcaption class="muted">longest ${formatDuration(max)} · oldest on the left</figcaption>
  </figure>`;
}
