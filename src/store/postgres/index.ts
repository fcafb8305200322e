/**
 * The PostgreSQL store's database layer (SPEC §15): connection, schema migrations, and the
 * coordination primitives several servers share. Not yet used by the supervisor.
 */
export { createPostgresPool, resolvePostgresOptions, toStoreError } from './connection.js';
export type { PostgresOptions, PostgresPool, ResolvedPostgresOptions } from './connection.js';
export { STORE_ERROR_CODES, StoreError, isStoreError } from './errors.js';
export type { StoreErrorCode } from './errors.js';
export { redactUrl } from './redact.js';
export { MIGRATIONS, SCHEMA_VERSION, migrate } from './migrations.js';
export type { MigrateResult, Migration } from './migrations.js';
export { heartbeat, joinCluster, reapLapsed } from './nodes.js';
export type { Membership, NodeInfo, ReapResult, ReapedNode } from './nodes.js';
export { claimFire } from './fires.js';
export type { ClaimOptions, ClaimOutcome, TakenFire } from './fires.js';
export { startRun } from './runs.js';
export type { InterruptedRun, StartRun } from './runs.js';
export { measureSkew } from './clock.js';
export type { Skew } from './clock.js';
export { CHANGES_CHANNEL, listenChanges, notifyChange } from './changes.js';
export type { Change, ChangeListener, ListenOptions } from './changes.js';
