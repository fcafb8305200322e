/**
 * Whether to re-open the editor after a save that is not a valid job. With `--reopen N`: yes, N
 * times, without asking (scripts, tests). Without it: on a terminal ask each time (Enter = yes);
 * off a terminal no, as nobody is there to answer.
 */
import { createInterface } from 'node:readline/promises';
import type { Readable, Writable } from 'node:stream';

export interface ReopenOptions {
  /** `--reopen N`; undefined = ask on a terminal. */
  limit: number | undefined;
  stdin: Readable;
  stderr: Writable;
}

export interface Reopener {
  /** Called with the number of re-openings so far; resolves whether to re-open once more. */
  next(reopened: number): Promise<boolean>;
  /** Why it will never re-open, for the give-up message; undefined when it may. */
  readonly hint: string | undefined;
}

const isTerminal = (stream: Readable | Writable): boolean => (stream as { isTTY?: boolean }).isTTY === true;

export function createReopener({ limit, stdin, stderr }: ReopenOptions): Reopener {
  const terminal = isTerminal(stdin) && isTerminal(stderr);
  return {
    hint: limit === undefined && !terminal ? 'not on a terminal, so the editor was not re-opened: pass --reopen N to re-open it without asking' : undefined,
    async next(reopened) {
      if (limit !== undefined) {
        if (reopened >= limit) return false;
        stderr.write(`re-opening the editor (${reopened + 1} of ${limit})\n`);
        return true;
      }
      if (!terminal) return false;
      const rl = createInterface({ input: stdin, output: stderr });
      try {
        const answer = (await rl.question('re-open the editor? [Y/n] ')).trim().toLowerCase();
        return answer === '' || answer === 'y' || answer === 'yes';
      } finally {
        rl.close();
      }
    },
  };
}
