/**
 * `npm run soak -- [--minutes N] [--quick] [--json FILE] [--write]`: 1000 jobs (200 in quick mode)
 * on the real server while it is killed with -9 every 5–20 s and restarted, with API registrations
 * and job-file edits in flight and a full disk for a while; then checks that every acknowledged
 * definition survived, every fire is accounted for exactly once, no run's process outlived it and
 * fds and memory stayed flat. Prints a table; exits 1 if an invariant fails, 2 if the soak itself
 * could not run. Always kills what it started, unmounts and removes its folders.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { closeClient } from './client.js';
import { selfCheck } from './checks/self-check.js';
import { removeSoakDirs, type Filler } from './home.js';
import { parseSoakOptions } from './options.js';
import { processesWithEnv } from './procfs.js';
import { appendMarkdown, renderReport, writeJson, type SoakReport } from './report.js';
import { runSoak } from './soak.js';
import { verify } from './verify.js';

const started = Date.now();
const children = new Set<ChildProcess>();
let filler: Filler | null = null;
let soakId = '';

const log = (message: string): void => {
  process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${message}\n`);
};

function killEverything(): void {
  filler?.release();
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {
      // gone
    }
  }
  // Spawners, runs and daemons the soak's servers left: all carry one of the soak's markers.
  if (soakId && process.platform === 'linux') {
    for (const p of [...processesWithEnv('SOAK_SERVER', soakId), ...processesWithEnv('SOAK_ID', soakId)]) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
}

function cleanUp(): void {
  killEverything();
  closeClient();
  removeSoakDirs();
}

async function main(): Promise<number> {
  const options = parseSoakOptions(process.argv.slice(2));
  if (!options) return 0;
  const problems = selfCheck();
  if (problems.length > 0) {
    for (const problem of problems) log(`self-check: ${problem}`);
    log('the soak\'s own checks are broken; not starting');
    return 2;
  }
  soakId = `soak-${randomBytes(5).toString('hex')}`;
  const command = `npm run soak -- ${process.argv.slice(2).join(' ')}`.trim();
  log(`${command}: seed ${options.seed}, ${options.jobs} jobs, ${options.seconds} s of chaos, id ${soakId}`);
  const run = await runSoak(options, soakId, {
    log,
    track: (child) => {
      children.add(child);
      child.once('exit', () => children.delete(child));
    },
    holding: (held) => (filler = held),
  });
  const result = await verify(run);
  const report: SoakReport = {
    date: new Date().toISOString(),
    machine: `node ${process.version}, ${os.availableParallelism()} cores, ${os.platform()} ${os.release()}`,
    command,
    seed: options.seed,
    wallS: (Date.now() - started) / 1000,
    figures: result.figures,
    invariants: result.invariants,
    notes: [
      ...(run.dirs.tmpfsRefused ? [`no tmpfs for the home (${run.dirs.tmpfsRefused}): the full-disk phase was skipped`] : []),
      `replay with --seed ${options.seed} (kill times and the job mix repeat; the interleaving with the server does not)`,
    ],
  };
  process.stdout.write(`\n${renderReport(report)}\n`);
  if (options.json) {
    writeJson(options.json, report, result.details);
    process.stdout.write(`json: ${options.json}\n`);
  }
  if (options.write) process.stdout.write(`markdown: appended to ${appendMarkdown(report)}\n`);
  return result.invariants.some((inv) => inv.pass === false) ? 1 : 0;
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    log(`${signal}: cleaning up`);
    cleanUp();
    process.exit(130);
  });
}

main().then(
  (code) => {
    cleanUp();
    process.exitCode = code;
  },
  (error: unknown) => {
    log(`soak could not run: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    cleanUp();
    process.exitCode = 2;
  },
);
