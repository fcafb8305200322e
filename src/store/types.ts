/** The store boundary's types (see ./index.ts), in a module of their own so implementations import no cycle. */
import type { History } from '../history/index.js';
import type { Registry } from '../registry/index.js';
import type { PostgresPool } from './postgres/connection.js';
import type { PostgresHistory } from './postgres/history.js';
import type { PostgresRegistry } from './postgres/registry.js';

export type StoreKind = 'files' | 'postgres';

export interface StoreStatus {
  kind: StoreKind;
  /** files: always true; postgres: the last statement (or connection attempt) succeeded. */
  connected: boolean;
  /** postgres only: the URL with its password masked. */
  url?: string;
}

/** What several servers sharing a PostgreSQL store coordinate through (src/cluster). */
export interface Coordination {
  readonly db: PostgresPool;
  /** This server in the cluster: run rows are written with its current epoch. */
  readonly node: { nodeId: string; epoch: number };
  readonly registry: PostgresRegistry;
  readonly history: PostgresHistory;
}

export interface Store {
  readonly kind: StoreKind;
  /** postgres only. */
  readonly coordination?: Coordination;
  readonly registry: Registry;
  readonly history: History;
  /** Ends connections; call after registry and history are flushed (the supervisor does, in close()). */
  close(): Promise<void>;
  status(): StoreStatus;
}
