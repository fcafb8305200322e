/**
 * The PostgreSQL store for one server: connects, applies the migrations (under their advisory
 * lock), and serves the registry and history from mxx_jobs and mxx_runs. `connected` follows the
 * outcome of the latest statement; a dropped idle connection is logged (redacted) and turns it false.
 */
import { hostname } from 'node:os';
import { silentLogger, type Logger } from '../../logger.js';
import type { Store } from '../types.js';
import { createPostgresPool } from './connection.js';
import { isStoreError, type StoreError } from './errors.js';
import { createPostgresHistory } from './history.js';
import { migrate } from './migrations.js';
import { createPostgresRegistry } from './registry.js';

export interface PostgresStoreOptions {
  url: string;
  /** @default silentLogger */
  logger?: Logger;
  /** This server's id in the cluster; run rows name it. @default os.hostname() */
  nodeId?: string;
  /** @default 5000 */
  connectTimeoutMs?: number;
  /** History: how long after a failed write it is tried again. @default 5000 */
  retryMs?: number;
}

/** Opens the pool and migrates; rejects (pool closed) with a redacted StoreError if the database cannot be used. */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const logger = options.logger ?? silentLogger;
  let connected = false;
  const db = createPostgresPool({
    url: options.url,
    ...(options.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: options.connectTimeoutMs }),
    onError: (error: StoreError) => {
      connected = false;
      logger.warn(error.message);
    },
  });
  const onResult = (error: unknown): void => {
    if (error === undefined) connected = true;
    else if (isStoreError(error, 'STORE_UNREACHABLE')) connected = false;
  };
  try {
    await db.query('could not connect', 'SELECT 1');
    const result = await migrate(db);
    connected = true;
    logger.info(`store ${db.options.redactedUrl}: schema version ${result.version}${result.applied.length > 0 ? ` (applied ${result.applied.join(', ')})` : ''}`);
  } catch (error) {
    await db.end().catch(() => undefined);
    throw error;
  }
  const node = { nodeId: options.nodeId ?? hostname(), epoch: 0 };
  const registry = createPostgresRegistry({ db, onResult, origin: node.nodeId });
  const history = createPostgresHistory({
    db,
    logger,
    onResult,
    nodeId: node.nodeId,
    epoch: () => node.epoch,
    ...(options.retryMs === undefined ? {} : { retryMs: options.retryMs }),
  });
  let closed: Promise<void> | undefined;
  return {
    kind: 'postgres',
    coordination: { db, node, registry, history },
    registry,
    history,
    close: () => (closed ??= db.end()),
    status: () => ({ kind: 'postgres', connected, url: db.options.redactedUrl }),
  };
}
