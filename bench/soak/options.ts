/** `npm run soak -- [--minutes N] [--quick] [--jobs N] [--seed S] [--json FILE] [--write] [--verbose]`. */
import { parseArgs } from 'node:util';

export interface SoakOptions {
  /** Chaos phase length (kills, edits, full disk), before the final clean restart. */
  seconds: number;
  quick: boolean;
  jobs: number;
  seed: number;
  json: string | null;
  /** Append the summary to bench/SOAK.md. */
  write: boolean;
  verbose: boolean;
}

const USAGE = `usage: npm run soak -- [--minutes N] [--quick] [--jobs N] [--seed S] [--json FILE] [--write] [--verbose]
  --minutes N   length of the chaos phase (default 10)
  --quick       40 s of chaos and 200 jobs, about 75 s in all with the build (CI)
  --jobs N      number of jobs (default 1000, quick 200)
  --seed S      random seed for the kill times, edits and job mix (default: random, printed)
  --json FILE   also write the figures and every invariant's evidence as JSON
  --write       append the summary to bench/SOAK.md
  --verbose     show the server's log
`;

function positiveNumber(text: string, flag: string): number {
  const n = Number(text);
  if (!(Number.isFinite(n) && n > 0)) throw new Error(`${flag} must be a number > 0, got ${JSON.stringify(text)}`);
  return n;
}

export function parseSoakOptions(argv: string[]): SoakOptions | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      minutes: { type: 'string' },
      quick: { type: 'boolean', default: false },
      jobs: { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'string' },
      write: { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return null;
  }
  const quick = values.quick;
  const minutes = values.minutes === undefined ? null : positiveNumber(values.minutes, '--minutes');
  const jobs = values.jobs === undefined ? (quick ? 200 : 1000) : Math.floor(positiveNumber(values.jobs, '--jobs'));
  if (jobs < 50) throw new Error(`--jobs must be at least 50 (the mix needs every kind of job), got ${jobs}`);
  return {
    seconds: minutes !== null ? minutes * 60 : quick ? 40 : 600,
    quick,
    jobs,
    seed: values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Math.floor(positiveNumber(values.seed, '--seed')),
    json: values.json ?? null,
    write: values.write,
    verbose: values.verbose,
  };
}

/** mulberry32: a seeded stream, so a failing soak can be replayed with the same kill times and edits. */
export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    between: (lo, hi) => lo + next() * (hi - lo),
    pick: (items) => items[Math.floor(next() * items.length)]!,
  };
}

export interface Random {
  next(): number;
  between(lo: number, hi: number): number;
  pick<T>(items: readonly T[]): T;
}
