/** Times for people: local absolute stamps, "in 3h 12m", "5m ago", durations. */

const pad = (n: number): string => String(n).padStart(2, '0');

/** `2026-11-26 22:30` in the machine's zone (`withSeconds` adds `:05`). */
export function formatAbsolute(input: string | number | Date, withSeconds = false): string {
  const d = input instanceof Date ? input : new Date(input);
  if (Number.isNaN(d.getTime())) return String(input);
  const base = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return withSeconds ? `${base}:${pad(d.getSeconds())}` : base;
}

/** A span in at most two units: `45s`, `3m 05s`, `3h 12m`, `2d 4h`. */
export function formatSpan(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${pad(s % 60)}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${pad(m % 60)}m`;
  const d = Math.floor(h / 24);
  return `${d}d ${h % 24}h`;
}

/** `in 3h 12m`, `5m 02s ago`, `now`. */
export function formatRelative(input: string | number, nowMs = Date.now()): string {
  const t = typeof input === 'number' ? input : Date.parse(input);
  if (Number.isNaN(t)) return String(input);
  const delta = t - nowMs;
  if (Math.abs(delta) < 1000) return 'now';
  return delta > 0 ? `in ${formatSpan(delta)}` : `${formatSpan(-delta)} ago`;
}

/** `in 3h 12m (2026-11-26 22:30)`, or `-` when there is no time. */
export function formatWhen(input: string | null | undefined, nowMs = Date.now(), withSeconds = false): string {
  if (!input) return '-';
  return `${formatRelative(input, nowMs)} (${formatAbsolute(input, withSeconds)})`;
}

/** A run's duration: `350ms`, `1.2s`, `3m 05s`. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '-';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  return formatSpan(ms);
}
