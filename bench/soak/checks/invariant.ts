/** One invariant's verdict: pass, fail or skipped (with why), a one-line summary and the first offenders. */
export interface Invariant {
  name: string;
  /** null: could not be checked here (the summary says why). */
  pass: boolean | null;
  summary: string;
  evidence: string[];
}

/** Evidence lines kept per kind of offence: enough to start debugging, short enough for a CI log. */
export const EVIDENCE_PER_KIND = 4;

/**
 * Pass when every kind of offence is empty; otherwise the summary counts each non-empty kind and
 * the evidence shows the first few of each.
 */
export function verdict(name: string, offences: Record<string, string[]>, okSummary: string, context = ''): Invariant {
  const kinds = Object.entries(offences).filter(([, list]) => list.length > 0);
  if (kinds.length === 0) return { name, pass: true, summary: okSummary, evidence: [] };
  return {
    name,
    pass: false,
    summary: `${kinds.map(([kind, list]) => `${list.length} ${kind}`).join('; ')}${context ? ` (${context})` : ''}`,
    evidence: kinds.flatMap(([, list]) => list.slice(0, EVIDENCE_PER_KIND)),
  };
}

export const skipped = (name: string, why: string): Invariant => ({ name, pass: null, summary: `skipped: ${why}`, evidence: [] });
