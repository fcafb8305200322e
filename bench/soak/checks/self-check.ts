/**
 * The checks' own test, run before every soak: a clean synthetic history must pass, and each seeded
 * defect must be caught. A checker that passes everything would make the soak worthless, so a
 * failure here stops the soak (exit 2) before any server is started.
 */
import { Ledger, present, absent, type Definition } from '../ledger.js';
import { CLASSES } from '../plan.js';
import type { Mark, Run } from '../records.js';
import { checkAccounting, checkDuplicates, checkStatuses, type FireData } from './fires.js';

const EVERY_SECOND = CLASSES.find((cls) => cls.name === 'every-1s')!;
const BASE = Date.UTC(2026, 0, 1, 12, 0, 0);
const at = (s: number): string => new Date(BASE + s * 1000).toISOString();

function cleanData(): FireData {
  // Up 0–4 s, down 5–7 s (coalesced into one missed record carrying 7 s), caught up at 8 s, up to 10 s.
  const runs: Run[] = [];
  const marks: Mark[] = [];
  for (const s of [0, 1, 2, 3, 4, 8, 9, 10]) {
    runs.push({ run_id: `r${s}`, job_id: 'j', trigger: 'schedule', scheduled_at: at(s), status: s === 2 ? 'failed' : 'completed' });
    marks.push({ scheduledAt: at(s), runId: `r${s}` });
  }
  runs.push({ run_id: 'm7', job_id: 'j', trigger: 'schedule', scheduled_at: at(7), status: 'missed' });
  return {
    runs: new Map([['j', runs]]),
    marks: new Map([['j', marks]]),
    accounted: [{ id: 'j', cls: EVERY_SECOND, fromMs: BASE }],
    toMs: BASE + 10_000,
    up: [[BASE, BASE + 4_500], [BASE + 7_500, BASE + 10_000]],
    // A line torn by a kill at the end of a file is allowed.
    badLines: [{ file: 'j.jsonl', line: 12, last: true }],
  };
}

type Defect = { name: string; seed(data: FireData): void; check: 'accounting' | 'duplicates' | 'statuses' };

const runsOf = (data: FireData): Run[] => data.runs.get('j')!;
const DEFECTS: Defect[] = [
  { name: 'a fire without a record', check: 'accounting', seed: (d) => void data(d, (runs) => runs.filter((r) => r.run_id !== 'r3')) },
  { name: 'a record off the schedule', check: 'accounting', seed: (d) => void runsOf(d).push({ run_id: 'x', job_id: 'j', trigger: 'schedule', scheduled_at: new Date(BASE + 2_500).toISOString(), status: 'completed' }) },
  { name: 'a started process without a record', check: 'accounting', seed: (d) => void d.marks.get('j')!.push({ scheduledAt: at(5), runId: 'ghost' }) },
  { name: 'a started process recorded missed', check: 'accounting', seed: (d) => void d.marks.get('j')!.push({ scheduledAt: at(7), runId: 'm7' }) },
  { name: 'two records of one fire', check: 'duplicates', seed: (d) => void runsOf(d).push({ run_id: 'r9b', job_id: 'j', trigger: 'schedule', scheduled_at: at(9), status: 'completed' }) },
  { name: 'one fire started twice', check: 'duplicates', seed: (d) => void d.marks.get('j')!.push({ scheduledAt: at(9), runId: 'r9b' }) },
  { name: 'an unreadable line mid-file', check: 'statuses', seed: (d) => void (d.badLines = [{ file: 'j.jsonl', line: 3, last: false }]) },
  { name: 'a record left running', check: 'statuses', seed: (d) => void data(d, (runs) => runs.map((r) => (r.run_id === 'r10' ? { ...r, status: 'running' } : r))) },
];

function data(d: FireData, edit: (runs: Run[]) => Run[]): void {
  d.runs.set('j', edit(runsOf(d)));
}

function run(check: Defect['check'], d: FireData): boolean | null {
  if (check === 'accounting') return checkAccounting(d).invariant.pass;
  return check === 'duplicates' ? checkDuplicates(d).pass : checkStatuses(d).pass;
}

function ledgerProblems(): string[] {
  const problems: string[] = [];
  const ledger = new Ledger();
  ledger.ack('a', 'api', present(': v2; x'));
  ledger.apiChange('a', present(': v3; x'), { kind: 'unknown', status: null, reason: 'reset' });
  ledger.apiChange('a', absent(), { kind: 'refused', status: 503, reason: '503' });
  const entry = ledger.entries.get('a')!;
  const expect = (actual: Definition, allowed: boolean, what: string): void => {
    if (ledger.allowed(entry, actual) !== allowed) problems.push(`ledger: ${what} should be ${allowed ? 'allowed' : 'refused'}`);
  };
  expect(present(': v2; x'), true, 'the acknowledged version');
  expect(present(': v3; x'), true, 'the unanswered later version');
  expect(present(': v1; x'), false, 'an older version');
  expect(absent(), false, 'absence after a refused removal');
  ledger.ack('c', 'api', present(': v1; z'));
  ledger.apiChange('c', absent(), { kind: 'unknown', status: null, reason: 'reset' });
  ledger.apiChange('c', absent(), { kind: 'rejected', status: 404, body: {} });
  if (ledger.vanished.length !== 0) problems.push('ledger: a 404 after an unanswered removal counted as a loss');
  ledger.ack('b', 'api', present(': v1; y'));
  ledger.apiChange('b', absent(), { kind: 'rejected', status: 404, body: {} });
  if (ledger.vanished.length !== 1) problems.push('ledger: a 404 for an acknowledged id was not counted as a loss');
  return problems;
}

/** Returns the problems found in the checkers (empty when they work). */
export function selfCheck(): string[] {
  const problems: string[] = [];
  const clean = cleanData();
  for (const check of ['accounting', 'duplicates', 'statuses'] as const) {
    if (run(check, clean) !== true) problems.push(`the clean history fails the ${check} check`);
  }
  for (const defect of DEFECTS) {
    const d = cleanData();
    defect.seed(d);
    if (run(defect.check, d) !== false) problems.push(`the ${defect.check} check misses ${defect.name}`);
  }
  return [...problems, ...ledgerProblems()];
}
