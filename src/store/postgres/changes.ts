/**
 * Change notices between servers: a server that changed something (a job registered, paused, a run
 * stopped) sends NOTIFY; every server LISTENs on one dedicated connection and reloads what changed.
 * A notice sent while a listener was disconnected is lost, so after every reconnect the listener
 * calls `onReconnect`, and the caller resyncs from the tables.
 */
import pg from 'pg';
import { clientConfig, toStoreError, type PostgresPool, type ResolvedPostgresOptions } from './connection.js';
import type { StoreError } from './errors.js';

export const CHANGES_CHANNEL = 'mxx_changes';

export interface Change {
  /** What changed: 'job', 'run', 'node', … */
  kind: string;
  id: string;
  /** The node that made the change (so it can skip its own). */
  origin?: string;
}

/** Anything with pg's query(): the pool, or a client inside the transaction that made the change. */
type Queryable = Pick<pg.ClientBase, 'query'>;

/**
 * Sends a change notice. Given a client inside a transaction, the notice is delivered only if and
 * when that transaction commits, which is what a change should do.
 */
export async function notifyChange(db: PostgresPool | Queryable, kind: string, id: string, origin?: string): Promise<void> {
  const payload = JSON.stringify({ kind, id, ...(origin === undefined ? {} : { origin }) } satisfies Change);
  const text = 'SELECT pg_notify($1, $2)';
  if ('options' in db && 'transaction' in db) await db.query(`could not announce the change of ${kind} ${id}`, text, [CHANGES_CHANNEL, payload]);
  else await db.query(text, [CHANGES_CHANNEL, payload]);
}

export interface ListenOptions {
  onChange: (change: Change) => void;
  /** Called after the connection was lost and LISTEN is in place again: resync now. */
  onReconnect?: () => void;
  /** A lost connection, a failed reconnect, a malformed notice: reported, never thrown. */
  onError?: (error: StoreError) => void;
  /** First wait before reconnecting; doubles up to maxBackoffMs. @default 100 */
  initialBackoffMs?: number;
  /** @default 5000 */
  maxBackoffMs?: number;
}

export interface ChangeListener {
  /** Resolves once the first LISTEN is in place (it keeps retrying until then). */
  readonly ready: Promise<void>;
  readonly connected: boolean;
  /** How many times the listener connected again after losing its connection. */
  readonly reconnects: number;
  close(): Promise<void>;
}

export function listenChanges(db: PostgresPool | ResolvedPostgresOptions, options: ListenOptions): ChangeListener {
  const resolved = 'options' in db ? db.options : db;
  const initial = options.initialBackoffMs ?? 100;
  const max = options.maxBackoffMs ?? 5000;
  const report = (error: unknown, what: string) => options.onError?.(toStoreError(error, resolved.url, what));
  let client: pg.Client | undefined;
  let connected = false;
  let everConnected = false;
  let closed = false;
  let reconnects = 0;
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));

  const scheduleConnect = () => {
    if (closed || timer) return;
    // Full jitter, so servers cut off by one database restart do not all reconnect in the same instant.
    const wait = failures === 0 ? 0 : Math.random() * Math.min(max, initial * 2 ** (failures - 1));
    timer = setTimeout(() => {
      timer = undefined;
      void connect();
    }, wait);
  };

  const lost = (which: pg.Client, error?: unknown) => {
    if (which !== client) return;
    client = undefined;
    connected = false;
    if (error !== undefined && !closed) report(error, 'the change listener lost its connection');
    which.end().catch(() => {});
    failures += 1;
    scheduleConnect();
  };

  const connect = async () => {
    const next = new pg.Client(clientConfig(resolved));
    client = next;
    next.on('error', (error) => lost(next, error));
    next.on('end', () => lost(next));
    next.on('notification', (message) => {
      if (message.channel !== CHANGES_CHANNEL || message.payload === undefined) return;
      let change: Change;
      try {
        change = JSON.parse(message.payload) as Change;
      } catch (error) {
        report(error, 'a malformed change notice');
        return;
      }
      options.onChange(change);
    });
    try {
      await next.connect();
      await next.query(`LISTEN ${CHANGES_CHANNEL}`);
    } catch (error) {
      if (next === client) lost(next, error);
      return;
    }
    if (next !== client || closed) return;
    connected = true;
    failures = 0;
    if (everConnected) {
      reconnects += 1;
      options.onReconnect?.();
    } else {
      everConnected = true;
      markReady();
    }
  };

  scheduleConnect();
  return {
    ready,
    get connected() {
      return connected;
    },
    get reconnects() {
      return reconnects;
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      const last = client;
      client = undefined;
      connected = false;
      await last?.end().catch(() => {});
    },
  };
}
