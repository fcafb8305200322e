/** After the soak: read back what the server left and judge every invariant, with the figures. */
import { join } from 'node:path';
import { answerCounts, oddAnswers } from './client.js';
import { checkDefinitions, checkRegistryFile } from './checks/definitions.js';
import { checkAccounting, checkDuplicates, checkStatuses, type FireData } from './checks/fires.js';
import type { Invariant } from './checks/invariant.js';
import { skipped } from './checks/invariant.js';
import { checkLeftovers } from './checks/processes.js';
import { checkResources } from './checks/resources.js';
import { checkAnswers, checkServer } from './checks/server.js';
import { firesPerSecond } from './plan.js';
import { readHistoryFiles, readMarks, readRegistryFile } from './records.js';
import type { SoakRun } from './soak.js';

/** Fires this soon after a job's acknowledged registration are not required (arming takes a moment). */
const REGISTRATION_MARGIN_MS = 2_000;
/** Samples in the first seconds of a life are start-up (catch-up records open every job's history file for 5 s), not steady state. */
const WARM_MS = 8_000;

export interface Verdicts {
  invariants: Invariant[];
  figures: Array<[string, string]>;
  details: Record<string, unknown>;
}

export async function verify(run: SoakRun): Promise<Verdicts> {
  const server = join(run.dirs.home, 'server');
  const history = readHistoryFiles(join(server, 'runs'));
  const marks = readMarks(run.dirs.marks);
  const firstReady = run.lives[0]?.readyAt ?? 0;
  const data: FireData = {
    runs: history.byJob,
    marks,
    accounted: run.plan.jobs
      .filter((job) => job.churn !== 'toggle')
      .flatMap((job) => {
        const ack = job.via === 'file' ? firstReady : run.firstAck.get(job.id);
        return ack === undefined ? [] : [{ id: job.id, cls: job.cls, fromMs: ack + REGISTRATION_MARGIN_MS }];
      }),
    toMs: run.finalStopAt - 1_000,
    up: run.lives.filter((life) => life.readyAt !== null).map((life) => [life.readyAt!, life.endedAt ?? Date.now()]),
    starting: run.lives.map((life) => [life.spawnedAt, life.readyAt ?? life.endedAt ?? Date.now()]),
    badLines: history.badLines,
  };
  const accounting = checkAccounting(data);
  const resources = checkResources(run.lives, WARM_MS);
  const invariants: Invariant[] = [
    checkDefinitions(run.ledger, run.served),
    run.served.length === 0 ? skipped('registry-file', 'the final server never served its registry') : checkRegistryFile(readRegistryFile(server), run.served),
    checkStatuses(data),
    checkDuplicates(data),
    accounting.invariant,
    await checkLeftovers(run.plan.soakId),
    checkServer(run.lives, run.startFailures, run.slowStops),
    checkAnswers(oddAnswers),
    resources.fds,
    resources.rss,
  ];
  if (run.dirs.tmpfsRefused) invariants.push(skipped('full-disk', run.dirs.tmpfsRefused));

  const statuses = new Map<string, number>();
  let records = 0;
  for (const runs of history.byJob.values()) {
    for (const r of runs) {
      records++;
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    }
  }
  const started = [...marks.values()].reduce((sum, list) => sum + list.length, 0);
  const upMs = data.up.reduce((sum, [from, to]) => sum + (to - from), 0);
  const wallMs = (run.lives.at(-1)?.endedAt ?? Date.now()) - (run.lives[0]?.spawnedAt ?? Date.now());
  const groups = new Map<string, string[]>();
  for (const [key, n] of Object.entries(run.plan.sizes)) {
    const [group, name] = key.split(' ');
    if (name) groups.set(group!, [...(groups.get(group!) ?? []), `${name} ${n}`]);
  }
  const sizes = `${run.plan.sizes.jobs}: ${[...groups].map(([group, parts]) => `${group} ${parts.join(', ')}`).join('; ')}`;
  const { first, last } = resources.figures;
  const figures: Array<[string, string]> = [
    ['jobs', sizes],
    ['load', `${firesPerSecond(run.plan).toFixed(1)} fires/s planned`],
    ['server lives', `${run.lives.length} (${run.lives.filter((l) => l.cause === 'kill9').length} kill -9, up ${((100 * upMs) / Math.max(1, wallMs)).toFixed(0)} % of ${(wallMs / 1000).toFixed(0)} s)`],
    ['start-up', run.lives.filter((l) => l.readyAt).map((l) => ((l.readyAt! - l.spawnedAt) / 1000).toFixed(1)).join(', ') + ' s'],
    ['full disk', run.disk.length ? run.disk.map((d) => `life ${d.life}: ${(d.bytes / 2 ** 20).toFixed(0)} MB filler, ${((d.to - d.from) / 1000).toFixed(0)} s`).join('; ') : run.dirs.tmpfsRefused ? `skipped (${run.dirs.tmpfsRefused})` : 'not reached'],
    ['changes', `${run.churnSteps.api} API steps, ${run.churnSteps.file} file steps; answers ${[...answerCounts].map(([k, v]) => `${k}: ${v}`).join(', ')}`],
    ['records', `${records} (${[...statuses].sort((a, b) => b[1] - a[1]).map(([s, n]) => `${s} ${n}`).join(', ')}); ${started} processes started; ${history.badLines.length} unreadable history lines (${history.badLines.filter((b) => b.last).length} torn last lines)`],
    ['fires accounted', `${accounting.figures.expected} expected: ${accounting.figures.recorded} recorded, ${accounting.figures.coveredByMissed} covered by missed, ${accounting.figures.unaccountedUp + accounting.figures.unaccountedDown} unaccounted`],
    ['fds (steady)', first && last ? `${first.fds}–${first.fdsMax} without history files, ${first.fdsTotal} in all (life ${first.life}) → ${last.fds}–${last.fdsMax}, ${last.fdsTotal} (life ${last.life})` : 'n/a'],
    ['RSS server+spawners (steady)', first && last ? `${first.rssMb.toFixed(0)} MB → ${last.rssMb.toFixed(0)} MB (${(last.rssMb / first.rssMb).toFixed(2)}×)` : 'n/a'],
  ];
  const details = {
    lives: run.lives.map((l) => ({
      n: l.n,
      pid: l.pid,
      startS: l.readyAt ? (l.readyAt - l.spawnedAt) / 1000 : null,
      upS: l.readyAt && l.endedAt ? (l.endedAt - l.readyAt) / 1000 : null,
      cause: l.cause,
      exit: l.exit,
      samples: l.samples,
    })),
    startFailures: run.startFailures,
    disk: run.disk,
    accounting: accounting.figures,
    resources: resources.figures,
    badHistoryLines: history.badLines.slice(0, 50),
    oddAnswers: oddAnswers.slice(0, 200),
  };
  return { invariants, figures, details };
}
