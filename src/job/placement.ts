/**
 * `[placement] labels = [...]` (SPEC §3, §15): a job runs only on servers started with every one
 * of its labels (`--label`, MXX_LABELS, `labels` in config.toml). One label rule for both sides.
 */
import { MxxError } from '../errors.js';
import { checkKeys, shown, type Issues, type Table } from './issues.js';
import type { PlacementSpec } from './types.js';

export type { PlacementSpec } from './types.js';

export const PLACEMENT_KEYS = ['labels'] as const;

/** A label: what a job id may be, shorter (a letter or digit first, then letters, digits, . _ -). */
export const LABEL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const LABEL_HINT = 'a letter or digit, then up to 62 letters, digits, ".", "_" or "-"';
/** More labels than this on one job is a mistake, not a placement. */
const MAX_LABELS = 32;

export function isLabel(value: unknown): value is string {
  return typeof value === 'string' && LABEL_PATTERN.test(value);
}

/** Parses a `[placement]` table; problems go to `issues` under `placement`. */
export function parsePlacementSection(issues: Issues, s: Table): PlacementSpec | undefined {
  checkKeys(issues, s, PLACEMENT_KEYS, 'placement');
  const { labels } = s;
  if (labels === undefined) {
    issues.add('placement.labels', 'is required: the labels a server must have to run this job, e.g. labels = ["gpu"]');
    return undefined;
  }
  if (!Array.isArray(labels)) {
    issues.add('placement.labels', `must be an array of labels, e.g. ["gpu"], got ${shown(labels)}`);
    return undefined;
  }
  if (labels.length === 0) {
    issues.add('placement.labels', 'must name at least one label (leave [placement] out to run on any server)');
    return undefined;
  }
  if (labels.length > MAX_LABELS) issues.add('placement.labels', `must name at most ${MAX_LABELS} labels, got ${labels.length}`);
  const out: string[] = [];
  labels.forEach((label, i) => {
    if (isLabel(label)) out.push(label);
    else issues.add(`placement.labels[${i}]`, `must be a label (${LABEL_HINT}), got ${shown(label)}`);
  });
  return { labels: [...new Set(out)] };
}

/**
 * A server's labels from a flag (repeatable), MXX_LABELS or config.toml: a list, or one string of
 * comma-separated labels. Throws CONFIG_INVALID naming `source` and the label.
 */
export function parseServerLabels(value: string | readonly string[], source: string): string[] {
  const items = (typeof value === 'string' ? [value] : value).flatMap((item) => item.split(',')).map((item) => item.trim());
  const labels: string[] = [];
  for (const item of items) {
    if (item === '') continue;
    if (!isLabel(item)) throw new MxxError('CONFIG_INVALID', `${source}: ${JSON.stringify(item)} is not a label (${LABEL_HINT})`);
    labels.push(item);
  }
  return [...new Set(labels)];
}

/** Why a server with `labels` may not run a job of `placement`, or null when it may. */
export function placementMismatch(placement: PlacementSpec | undefined, labels: readonly string[]): string | null {
  if (!placement) return null;
  const missing = placement.labels.filter((label) => !labels.includes(label));
  if (missing.length === 0) return null;
  const needs = `needs the label${missing.length === 1 ? '' : 's'} ${missing.join(', ')}`;
  return `${needs}; this server has ${labels.length === 0 ? 'none (start it with --label)' : labels.join(', ')}`;
}
