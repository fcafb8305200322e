/** ANSI colours, on only when the command's context allows them (a TTY without NO_COLOR). */
import type { RunStatus } from '../../src/records.js';
import type { JobStatus } from '../../src/api/types.js';

export interface Colors {
  enabled: boolean;
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
}

function wrap(enabled: boolean, open: number, close: number): (text: string) => string {
  return enabled ? (text) => `\u001b[${open}m${text}\u001b[${close}m` : (text) => text;
}

export function createColors(enabled: boolean): Colors {
  return {
    enabled,
    bold: wrap(enabled, 1, 22),
    dim: wrap(enabled, 2, 22),
    red: wrap(enabled, 31, 39),
    green: wrap(enabled, 32, 39),
    yellow: wrap(enabled, 33, 39),
    cyan: wrap(enabled, 36, 39),
  };
}

/** Colours a job or run status: green done, red failed, yellow skipped/cancelled, cyan running. */
export function colorStatus(colors: Colors, status: JobStatus | RunStatus | string): string {
  switch (status) {
    case 'completed':
      return colors.green(status);
    case 'failed':
    case 'timed_out':
    case 'interrupted':
      return colors.red(status);
    case 'skipped':
    case 'cancelled':
    case 'missed':
      return colors.yellow(status);
    case 'running':
    case 'queued':
      return colors.cyan(status);
    default:
      return colors.dim(status);
  }
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}
