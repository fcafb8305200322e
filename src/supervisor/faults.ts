/**
 * Storage and I/O faults that failed one run (a log folder that cannot be created on a full or
 * read-only disk, …): counted by kind, and logged as WARN lines without flooding the log when a
 * thousand jobs hit the same full disk — the first fault of a kind is logged at once, later ones
 * at most once a minute with the number held back.
 */
import type { Logger } from '../logger.js';

const QUIET_MS = 60_000;

export type FaultKind = 'log' | 'history' | 'registry';

export class FaultLog {
  /** Faults seen since start, by kind (for /health and metrics). */
  readonly counts: Record<FaultKind, number> = { log: 0, history: 0, registry: 0 };
  private readonly lastLogged = new Map<FaultKind, number>();
  private readonly heldBack = new Map<FaultKind, number>();

  constructor(
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  report(kind: FaultKind, message: string, fields: Record<string, unknown> = {}): void {
    this.counts[kind]++;
    const now = this.now();
    const last = this.lastLogged.get(kind);
    if (last !== undefined && now - last < QUIET_MS) {
      this.heldBack.set(kind, (this.heldBack.get(kind) ?? 0) + 1);
      return;
    }
    const held = this.heldBack.get(kind) ?? 0;
    this.heldBack.delete(kind);
    this.lastLogged.set(kind, now);
    this.logger.warn(message, held > 0 ? { ...fields, similar_faults_not_logged: held } : fields);
  }
}
