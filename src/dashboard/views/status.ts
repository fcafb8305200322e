/** A run or job status as a coloured badge, and a job's last runs as a strip of coloured cells. */
import type { RecentRun } from '../../api/types.js';
import { formatAbsolute, formatDuration, statusLabel } from '../format.js';
import { html } from '../html.js';
import { STRIP_RUNS } from '../store.js';

export function StatusBadge({ status }: { status: string }) {
  return html`<span class=${`badge s-${status}`} data-badge=${status}>${statusLabel(status)}</span>`;
}

/** Oldest on the left, newest on the right; empty cells where the job has fewer runs. */
export function Strip({ runs }: { runs: readonly RecentRun[] }) {
  const cells = [];
  for (let i = STRIP_RUNS - 1; i >= 0; i--) {
    const run = runs[i];
    if (!run) {
      cells.push(html`<span class="cell none"></span>`);
      continue;
    }
    const when = run.started_at ? ` · ${formatAbsolute(run.started_at, true)}` : '';
    cells.push(html`<span class=${`cell s-${run.status}`} title=${`${statusLabel(run.status)}${run.duration_ms === null ? '' : ` · ${formatDuration(run.duration_ms)}`}${when}`}></span>`);
  }
  const failed = runs.filter((r) => r.status === 'failed' || r.status === 'timed_out').length;
  return html`<span class="strip" role="img" aria-label=${`last ${runs.length} runs: ${failed} failed`} data-strip=${runs.map((r) => r.status).join(',')}>${cells}</span>`;
}
