/** The JSON record of a run: bench/results/<timestamp>.json. */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchOptions } from './scenario.js';
import type { TableRow } from './table.js';

/** The source folder's results/ (this file is compiled to dist/bench/lib/). */
export const RESULTS_DIR = fileURLToPath(new URL('../../../bench/results/', import.meta.url));

export interface Machine {
  date: string;
  node: string;
  cores: number;
  cpu: string;
  memoryGb: number;
  platform: string;
}

export function describeMachine(): Machine {
  return {
    date: new Date().toISOString(),
    node: process.version,
    cores: os.availableParallelism(),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round(os.totalmem() / 1024 ** 3),
    platform: `${os.platform()} ${os.release()}`,
  };
}

export function writeResults(data: {
  machine: Machine;
  options: BenchOptions;
  wallS: number;
  rows: TableRow[];
  scenarios: Record<string, { title: string; wallS: number; error?: string; notes?: string[]; details?: unknown }>;
}): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${data.machine.date.replace(/[:.]/g, '-')}.json`);
  const options = { ...data.options, only: data.options.only ? [...data.options.only] : null };
  writeFileSync(file, `${JSON.stringify({ ...data, options }, null, 2)}\n`);
  return file;
}
