/**
 * What the server acknowledged: per job id, the last definition it confirmed (an API 2xx, a job file
 * written and renamed into place, a removal) and the changes whose answer was lost (the server died
 * mid-request), which may or may not have happened. At the end, each id's definition must be the
 * acknowledged one or one of those unanswered ones after it.
 */
import type { Outcome } from './client.js';

export interface Definition {
  present: boolean;
  /** The command, which carries the definition's version (`: v7; …`). */
  cmd: string | null;
}

export interface LedgerEntry {
  id: string;
  via: 'file' | 'api';
  acked: Definition;
  ackedAt: number | null;
  uncertain: Definition[];
}

export interface Vanished {
  id: string;
  at: number;
  expected: Definition;
  how: string;
}

const ABSENT: Definition = { present: false, cmd: null };

export const sameDefinition = (a: Definition, b: Definition): boolean => a.present === b.present && (!a.present || a.cmd === b.cmd);

export function describeDefinition(d: Definition): string {
  if (!d.present) return 'absent';
  return `present (${/^: (v\d+);/.exec(d.cmd ?? '')?.[1] ?? d.cmd})`;
}

export class Ledger {
  readonly entries = new Map<string, LedgerEntry>();
  /** An id the server said it did not know while we held it acknowledged (a lost definition). */
  readonly vanished: Vanished[] = [];
  readonly counts = { acked: 0, refused: 0, rejected: 0, unknown: 0, fileWrites: 0, fileWriteErrors: 0 };

  private entry(id: string, via: 'file' | 'api'): LedgerEntry {
    let entry = this.entries.get(id);
    if (!entry) this.entries.set(id, (entry = { id, via, acked: ABSENT, ackedAt: null, uncertain: [] }));
    return entry;
  }

  ack(id: string, via: 'file' | 'api', definition: Definition): void {
    const entry = this.entry(id, via);
    entry.acked = definition;
    entry.ackedAt = Date.now();
    entry.uncertain = [];
  }

  /** An API change (a registration or a DELETE /registry/{id}) and how the server answered it. */
  apiChange(id: string, intended: Definition, outcome: Outcome): void {
    const entry = this.entry(id, 'api');
    this.counts[outcome.kind === 'ok' ? 'acked' : outcome.kind]++;
    if (outcome.kind === 'ok') this.ack(id, 'api', intended);
    else if (outcome.kind === 'unknown') entry.uncertain.push(intended);
    else if (outcome.kind === 'rejected' && outcome.status === 404 && !intended.present) {
      // The server does not know the id: fine if it never acknowledged it, a loss otherwise.
      if (entry.acked.present && !entry.uncertain.some((d) => !d.present)) {
        this.vanished.push({ id, at: Date.now(), expected: entry.acked, how: 'DELETE /registry/{id} answered 404' });
      }
      this.ack(id, 'api', ABSENT);
    }
  }

  /** Whether `actual` is a state the server may be in for this id. */
  allowed(entry: LedgerEntry, actual: Definition): boolean {
    return [entry.acked, ...entry.uncertain].some((d) => sameDefinition(d, actual));
  }
}

export const present = (cmd: string): Definition => ({ present: true, cmd });
export const absent = (): Definition => ABSENT;
