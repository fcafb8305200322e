/**
 * Reading back what the server left, after its final clean stop: the registry file, the run history
 * files (`server/runs/<job>.jsonl`, last line of a run id wins, as the server reads them) and the
 * jobs' marker files (one line per process that really started: `<MXX_SCHEDULED_AT> <MXX_RUN_ID>`).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The fields of a run record the checks read (SPEC §4). */
export interface Run {
  run_id: string;
  job_id: string;
  trigger: string;
  scheduled_at: string | null;
  status: string;
  error?: string | null;
}

export interface HistoryRead {
  byJob: Map<string, Run[]>;
  /** Lines that were not JSON (a torn last line after a kill is allowed; the server skips it). */
  badLines: BadLine[];
}

export interface BadLine {
  file: string;
  line: number;
  /** Only blank lines follow it. */
  last: boolean;
  /** Its start and length, and the scheduled_at of the readable line before it, for the evidence. */
  excerpt?: string;
}

export function readHistoryFiles(runsDir: string): HistoryRead {
  const byJob = new Map<string, Run[]>();
  const badLines: HistoryRead['badLines'] = [];
  if (!existsSync(runsDir)) return { byJob, badLines };
  for (const name of readdirSync(runsDir)) {
    if (!name.endsWith('.jsonl') || name.startsWith('.')) continue;
    const lines = readFileSync(join(runsDir, name), 'utf8').split('\n');
    const runs = new Map<string, Run>();
    let previous: string | null = null;
    lines.forEach((text, i) => {
      if (text.trim() === '') return;
      try {
        const run = JSON.parse(text) as Run;
        if (typeof run.run_id === 'string') runs.set(run.run_id, run);
        previous = `${run.status} ${run.scheduled_at}`;
      } catch {
        badLines.push({
          file: name,
          line: i + 1,
          last: lines.slice(i + 1).every((rest) => rest.trim() === ''),
          excerpt: `${text.length} chars ${JSON.stringify(text.slice(0, 60))}…${JSON.stringify(text.slice(-40))}, after ${previous ?? 'nothing'}`,
        });
      }
    });
    byJob.set(name.slice(0, -'.jsonl'.length), [...runs.values()]);
  }
  return { byJob, badLines };
}

export interface Mark {
  scheduledAt: string;
  runId: string;
}

export function readMarks(marksDir: string): Map<string, Mark[]> {
  const byJob = new Map<string, Mark[]>();
  for (const name of readdirSync(marksDir)) {
    const marks: Mark[] = [];
    for (const line of readFileSync(join(marksDir, name), 'utf8').split('\n')) {
      const [scheduledAt, runId] = line.trim().split(' ');
      if (scheduledAt && runId) marks.push({ scheduledAt, runId });
    }
    byJob.set(name, marks);
  }
  return byJob;
}

export interface RegistryRead {
  /** Why the file does not parse as `{version, entries: [...]}`, or null. */
  problem: string | null;
  entries: Array<Record<string, unknown>>;
  /** `registry.json.corrupt-*` files: a corrupt registry the server moved aside. */
  movedAside: string[];
}

export function readRegistryFile(serverDir: string): RegistryRead {
  const file = join(serverDir, 'registry.json');
  const movedAside = existsSync(serverDir) ? readdirSync(serverDir).filter((name) => name.startsWith('registry.json.corrupt')) : [];
  if (!existsSync(file)) return { problem: `${file} does not exist`, entries: [], movedAside };
  const text = readFileSync(file, 'utf8');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    return { problem: `${file} is not JSON (${(error as Error).message}); ${text.length} bytes, ends ${JSON.stringify(text.slice(-80))}`, entries: [], movedAside };
  }
  const { version, entries } = (doc ?? {}) as { version?: unknown; entries?: unknown };
  if (typeof version !== 'number' || !Array.isArray(entries)) {
    return { problem: `${file}: expected {"version": number, "entries": [...]}, got keys ${Object.keys(doc ?? {}).join(', ')}`, entries: [], movedAside };
  }
  const bad = entries.filter((e) => typeof (e as { job_id?: unknown })?.job_id !== 'string' || typeof (e as { config?: unknown }).config !== 'object');
  return {
    problem: bad.length ? `${file}: ${bad.length} entries without a job_id string and a config object, first ${JSON.stringify(bad[0]).slice(0, 200)}` : null,
    entries: entries as Array<Record<string, unknown>>,
    movedAside,
  };
}
