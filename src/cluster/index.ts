/**
 * This server's part in a cluster (SPEC §15, several servers on one PostgreSQL store): it joins
 * (a new epoch: its fencing token), renews its lease, takes over servers whose lease lapsed, claims
 * every run before starting it, and hears the others' changes. What to do with a takeover, a
 * fencing or a change is the supervisor's: it passes the handlers.
 */
import type { Logger } from '../logger.js';
import { listenChanges, notifyChange, type Change, type ChangeListener } from '../store/postgres/changes.js';
import { claimRuns, type RunClaim, type RunClaimOutcome } from '../store/postgres/claims.js';
import { measureSkew } from '../store/postgres/clock.js';
import type { PostgresPool } from '../store/postgres/connection.js';
import { isStoreError, type StoreError } from '../store/postgres/errors.js';
import type { TakenFire } from '../store/postgres/fires.js';
import { heartbeat, joinCluster, reapLapsed, type Membership, type NodeInfo } from '../store/postgres/nodes.js';
import type { InterruptedRun } from '../store/postgres/runs.js';
import { listNodes, type NodeView } from './nodes.js';


/** The periodic resync, a backstop for change notices lost on the way. */
export const RESYNC_MS = 30_000;
/** Claims in one transaction at most (a larger burst is split into several, run side by side). */
const MAX_CLAIM_BATCH = 200;
/** How soon a failed heartbeat is tried again (at most; a third of the lease if that is shorter). */
const RETRY_BEAT_MS = 500;
export type { NodeView } from './nodes.js';

export interface ClusterHandlers {
  /** Fires a lapsed node (or this node's previous life) left unfinished, now this node's. */
  onTakeover(fires: TakenFire[], interrupted: InterruptedRun[], from: string): void;
  /** The lease was lost (paused or cut off past it, or taken over): stop every run; the cluster rejoins after. */
  onFenced(error: StoreError): Promise<void>;
  /** A change another server made. */
  onChange(change: Change): void;
  /** The change listener reconnected (notices may have been lost): read everything again. */
  onResync(): void;
  /** A heartbeat succeeded after failed ones: the store answers again. */
  onStoreBack?(): void;
}

export interface ClusterOptions {
  db: PostgresPool;
  /** Shared with the store: run rows are written with this node's current epoch. */
  node: { nodeId: string; epoch: number };
  info: () => Omit<NodeInfo, 'nodeId'>;
  /** @default 15000 */
  leaseMs?: number;
  /** A skew beyond it is a WARN. @default 2000 */
  maxSkewMs?: number;
  logger: Logger;
}

export const DEFAULT_LEASE_MS = 15_000;

export class Cluster {
  readonly nodeId: string;
  readonly leaseMs: number;
  readonly db: PostgresPool;
  private readonly logger: Logger;
  private handlers: ClusterHandlers | null = null;
  private listener: ChangeListener | null = null;
  private beat: NodeJS.Timeout | null = null;
  private live = false;
  private rejoining: Promise<void> | null = null;
  private closed = false;
  private skewMs: number | null = null;
  /** Claims waiting for the next batch (see claim()). */
  private readonly pendingClaims: Array<{ claim: Omit<RunClaim, 'nodeId' | 'epoch'>; resolve: (outcome: RunClaimOutcome) => void; reject: (error: unknown) => void }> = [];
  /** A heartbeat is under way. */
  private ticking = false;
  /** The last heartbeat's outcome, for /health: null while it works. */
  private lastError: string | null = null;
  /** When the jobs and runs were last read again in full (the backstop for lost notices). */
  private lastResync = Date.now();

  constructor(private readonly options: ClusterOptions) {
    this.db = options.db;
    this.nodeId = options.node.nodeId;
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.logger = options.logger;
  }

  /** This server's labels (jobs' [placement]). */
  get labels(): readonly string[] {
    return this.options.info().labels ?? [];
  }

  get epoch(): number {
    return this.options.node.epoch;
  }

  /** Joins, starts the heartbeat (a third of the lease) and the change listener. */
  async join(handlers: ClusterHandlers): Promise<Membership> {
    this.handlers = handlers;
    const membership = await this.joinOnce();
    this.listener = listenChanges(this.db, {
      onChange: (change) => {
        if (change.origin !== this.nodeId) this.handlers?.onChange(change);
      },
      onReconnect: () => {
        this.logger.info('the change listener is connected to the store again: reading every job again');
        this.handlers?.onResync();
      },
      onError: (error) => this.logger.warn(error.message),
    });
    await this.listener.ready;
    this.scheduleBeat();
    void this.checkSkew();
    return membership;
  }

  private async joinOnce(): Promise<Membership> {
    const membership = await joinCluster(this.db, { nodeId: this.nodeId, ...this.options.info() }, this.leaseMs);
    this.options.node.epoch = membership.epoch;
    this.live = true;
    this.logger.info(`joined the cluster as ${this.nodeId} (epoch ${membership.epoch}, lease ${this.leaseMs} ms)`, {
      interrupted_runs: membership.interruptedRuns.length,
      fires_taken_back: membership.fires.length,
    });
    return membership;
  }

  /**
   * The next heartbeat: a third of the lease after a renewal; after a failed one (the store did not
   * answer) sooner, so that the lease is renewed as soon as the store is back, not up to a third of
   * the lease later — a short outage must not cost every server its lease.
   */
  private scheduleBeat(): void {
    if (this.closed) return;
    const regular = Math.max(50, Math.floor(this.leaseMs / 3));
    this.beat = setTimeout(() => void this.tick(), this.lastError === null ? regular : Math.min(regular, RETRY_BEAT_MS));
    this.beat.unref();
  }

  /** Renews the lease, then takes over lapsed nodes. A fenced lease stops the runs and rejoins. */
  private async tick(): Promise<void> {
    if (this.ticking) return; // a claim that found itself fenced asks for a beat while one runs
    this.ticking = true;
    try {
      await heartbeat(this.db, this.nodeId, this.epoch, this.leaseMs);
      const wasDown = this.lastError !== null;
      if (wasDown) this.logger.info('the store answers again: lease renewed, claiming again');
      this.lastError = null;
      this.live = true;
      if (wasDown) this.handlers?.onStoreBack?.();
      const reaped = await reapLapsed(this.db, this.nodeId, this.epoch);
      for (const node of reaped.nodes) {
        this.logger.warn(`server ${node.nodeId} stopped renewing its lease: took it over (its runs interrupted, ${reaped.fires.length} unfinished fire(s) taken)`, {
          interrupted: reaped.interruptedRuns.map((r) => r.runId).join(',') || 'none',
        });
      }
      if (reaped.nodes.length > 0) this.handlers?.onTakeover(reaped.fires, reaped.interruptedRuns, reaped.nodes.map((n) => n.nodeId).join(', '));
      // A notice can be lost without the listener noticing (it is fire-and-forget): read again now and then.
      if (Date.now() - this.lastResync >= RESYNC_MS) {
        this.lastResync = Date.now();
        this.handlers?.onResync();
      }
    } catch (error) {
      if (isStoreError(error, 'STORE_FENCED')) await this.fenced(error);
      else {
        const message = error instanceof Error ? error.message : String(error);
        if (this.lastError === null) this.logger.warn(`could not renew the lease (${message}); not claiming fires until the store answers`);
        this.lastError = message;
      }
    } finally {
      this.ticking = false;
      if (this.beat) clearTimeout(this.beat);
      this.scheduleBeat();
    }
  }

  private async fenced(error: StoreError): Promise<void> {
    if (this.rejoining || this.closed) return;
    this.live = false;
    this.logger.error(`${error.message}: stopping this server's runs and joining the cluster again`);
    this.rejoining = (async () => {
      try {
        await this.handlers?.onFenced(error);
        if (this.closed) return;
        const membership = await this.joinOnce();
        this.lastError = null; // joined: the store answers (/health says live at once, not a beat later)
        this.handlers?.onResync();
        this.handlers?.onStoreBack?.();
        if (membership.fires.length > 0) this.handlers?.onTakeover(membership.fires, membership.interruptedRuns, this.nodeId);
      } catch (rejoinError) {
        this.logger.warn(`could not join the cluster again: ${rejoinError instanceof Error ? rejoinError.message : String(rejoinError)}; trying at the next heartbeat`);
      } finally {
        this.rejoining = null;
      }
    })();
    await this.rejoining;
  }

  /**
   * Claims one run (see claimRuns); throws a StoreError when the store cannot be reached. Claims
   * asked for in the same turn of the event loop (the fires of one instant) go in one transaction.
   */
  claim(claim: Omit<RunClaim, 'nodeId' | 'epoch'>): Promise<RunClaimOutcome> {
    if (!this.live) return Promise.resolve({ kind: 'fenced' });
    return new Promise((resolve, reject) => {
      this.pendingClaims.push({ claim, resolve, reject });
      if (this.pendingClaims.length === 1) setImmediate(() => void this.flushClaims());
    });
  }

  private async flushClaims(): Promise<void> {
    const batch = this.pendingClaims.splice(0, MAX_CLAIM_BATCH);
    if (this.pendingClaims.length > 0) setImmediate(() => void this.flushClaims());
    if (batch.length === 0) return;
    try {
      const outcomes = await claimRuns(this.db, this.nodeId, this.epoch, batch.map((b) => b.claim));
      batch.forEach((b, i) => b.resolve(outcomes[i]!));
      if (outcomes.some((o) => o.kind === 'fenced')) void this.tick();
    } catch (error) {
      for (const b of batch) b.reject(error);
    }
  }

  /** True while this server holds a live lease as far as it knows (it claims only then). */
  get isLive(): boolean {
    return this.live && this.lastError === null;
  }

  /** A change for the other servers (a stop of a job's runs, …); delivered to all but this one. */
  async notify(kind: string, id: string): Promise<void> {
    await notifyChange(this.db, kind, id, this.nodeId);
  }

  async nodes(): Promise<NodeView[]> {
    return listNodes(this.db, this.nodeId, this.skewMs);
  }

  /** The advertised URL of server `nodeId` while its lease is live; null otherwise (or without one). */
  async liveUrlOf(nodeId: string): Promise<string | null> {
    const { rows } = await this.db.query<{ url: string | null }>(
      `could not read the address of server ${nodeId}`,
      'SELECT url FROM mxx_nodes WHERE node_id = $1 AND lease_until > now() AND reaped_at IS NULL',
      [nodeId],
    );
    return rows[0]?.url ?? null;
  }

  /** Whether any live server carries every label in `labels`. */
  async anyNodeWith(labels: readonly string[]): Promise<boolean> {
    const { rows } = await this.db.query<{ n: number }>(
      'could not read the servers’ labels',
      'SELECT count(*)::int AS n FROM mxx_nodes WHERE lease_until > now() AND labels @> $1::text[]',
      [labels],
    );
    return (rows[0]?.n ?? 0) > 0;
  }

  status(): { node_id: string; epoch: number; live: boolean; error: string | null; skew_ms: number | null } {
    return { node_id: this.nodeId, epoch: this.epoch, live: this.isLive, error: this.lastError, skew_ms: this.skewMs };
  }

  private async checkSkew(): Promise<void> {
    try {
      const skew = await measureSkew(this.db);
      this.skewMs = Math.round(skew.offsetMs);
      const bound = this.options.maxSkewMs ?? 2000;
      if (Math.abs(skew.offsetMs) > bound) {
        this.logger.warn(`this machine's clock is ${Math.round(skew.offsetMs)} ms off the database's (more than ${bound} ms): its jobs fire at different instants than on the other servers; leases and claims are not affected`);
      }
    } catch {
      // Measured again at the next join; the skew is shown as unknown meanwhile.
    }
  }

  /**
   * Leaves: stops the heartbeat and the listener and ends the lease at once (its runs have ended:
   * the supervisor calls this after its shutdown), so nobody waits a lease to take its place.
   */
  async leave(): Promise<void> {
    this.closed = true;
    if (this.beat) clearTimeout(this.beat);
    await this.listener?.close();
    await this.db
      .query('could not end the lease', `UPDATE mxx_nodes SET lease_until = now(), reaped_at = now(), reaped_by = node_id WHERE node_id = $1 AND epoch = $2`, [
        this.nodeId,
        this.epoch,
      ])
      .catch((error: unknown) => this.logger.warn(error instanceof Error ? error.message : String(error)));
  }
}
