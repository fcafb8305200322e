/**
 * `npm run bench [-- --quick] [--only precision,8] [--seconds T] [--verbose]`: runs the scenarios of
 * the benchmark issue against baselines measured in the same run, prints one table and writes
 * bench/results/<timestamp>.json. Exits 1 if a scenario failed to run (figures never fail it).
 */
import { parseArgs } from 'node:util';
import { closeHttpAgent } from './lib/http.js';
import { removeAllTempDirs } from './lib/home.js';
import { killAllTracked } from './lib/procs.js';
import { describeMachine, writeResults } from './lib/results.js';
import type { BenchContext, BenchOptions, Scenario } from './lib/scenario.js';
import { renderTable, type TableRow } from './lib/table.js';
import { SCENARIOS } from './scenarios/index.js';

function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      seconds: { type: 'string' },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      [
        'usage: npm run bench -- [--quick] [--only <scenario,...>] [--seconds T] [--verbose]',
        '  --quick      short durations, whole run under a minute (CI smoke test)',
        '  --only       scenario ids or numbers, comma-separated',
        '  --seconds    duration of the timed scenarios (precision, saturation, overlap)',
        '',
        ...SCENARIOS.map((s) => `  ${String(s.n).padStart(2)}  ${s.id.padEnd(12)} ${s.title}`),
        '',
      ].join('\n'),
    );
    process.exit(0);
  }
  const seconds = values.seconds === undefined ? null : Number(values.seconds);
  if (seconds !== null && !(Number.isInteger(seconds) && seconds >= 1)) throw new Error(`--seconds must be a whole number ≥ 1, got ${values.seconds}`);
  const only = values.only === undefined ? null : new Set(values.only.split(',').map((s) => s.trim()).filter(Boolean));
  for (const name of only ?? []) {
    if (!SCENARIOS.some((s) => s.id === name || String(s.n) === name)) {
      throw new Error(`--only: no scenario ${name} (known: ${SCENARIOS.map((s) => `${s.n}/${s.id}`).join(', ')})`);
    }
  }
  return { quick: values.quick, only, seconds, verbose: values.verbose };
}

function selected(options: BenchOptions): Scenario[] {
  return SCENARIOS.filter((s) => !options.only || options.only.has(s.id) || options.only.has(String(s.n)));
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const machine = describeMachine();
  const started = performance.now();
  const context: BenchContext = {
    options,
    log: (message) => process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(1).padStart(5)} s] ${message}\n`),
    shared: new Map(),
    seconds: (full, quick) => options.seconds ?? (options.quick ? quick : full),
    pick: (full, quick) => (options.quick ? quick : full),
  };
  context.log(`mxx bench${options.quick ? ' --quick' : ''}: node ${machine.node}, ${machine.cores} cores, ${machine.cpu}`);
  const rows: TableRow[] = [];
  const scenarios: Parameters<typeof writeResults>[0]['scenarios'] = {};
  let failed = 0;
  for (const scenario of selected(options)) {
    const t0 = performance.now();
    context.log(`── ${scenario.n}. ${scenario.title}`);
    try {
      const result = await scenario.run(context);
      rows.push(...result.rows.map((r) => ({ ...r, scenario: String(scenario.n) })));
      scenarios[scenario.id] = {
        title: scenario.title,
        wallS: (performance.now() - t0) / 1000,
        ...(result.notes?.length ? { notes: result.notes } : {}),
        ...(result.details ? { details: result.details } : {}),
      };
      for (const note of result.notes ?? []) context.log(`note: ${note}`);
    } catch (error) {
      failed++;
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      context.log(`scenario ${scenario.id} failed: ${message}`);
      scenarios[scenario.id] = { title: scenario.title, wallS: (performance.now() - t0) / 1000, error: message };
      rows.push({ scenario: String(scenario.n), figure: `${scenario.title}: FAILED`, value: null, unit: '' });
    }
    removeAllTempDirs();
  }
  const wallS = (performance.now() - started) / 1000;
  process.stdout.write(
    `\nmxx bench — ${machine.date} — node ${machine.node}, ${machine.cores} cores (${machine.cpu}), ${machine.platform}` +
      `${options.quick ? ' — quick' : ''} — ${wallS.toFixed(1)} s\n\n${renderTable(rows)}\n`,
  );
  const file = writeResults({ machine, options, wallS, rows, scenarios });
  process.stdout.write(`\nresults: ${file}\n`);
  return failed === 0 ? 0 : 1;
}

function cleanUp(): void {
  killAllTracked();
  removeAllTempDirs();
  closeHttpAgent();
}

process.once('SIGINT', () => {
  cleanUp();
  process.exit(130);
});

main().then(
  (code) => {
    cleanUp();
    process.exitCode = code;
  },
  (error: unknown) => {
    cleanUp();
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  },
);
