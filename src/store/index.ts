/**
 * The store boundary (SPEC §15): where the supervisor keeps job definitions (Registry) and run
 * records (History). Both implementations serve reads from memory; a registry change is
 * acknowledged only once it is persisted, a run record is visible at once and written behind
 * (History.written/flush say when it is). `files` is today's layout under ~/.mxx (the default);
 * `postgres` keeps both in a PostgreSQL database. Run logs stay in files under ~/.mxx/logs.
 */
import { defaultNodeId } from '../cluster/node-id.js';
import { MxxError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { MxxPaths } from '../paths.js';
import { createFilesStore } from './files.js';
import type { Store } from './types.js';
import { redactUrl } from './postgres/redact.js';

export type { Store, StoreKind, StoreStatus } from './types.js';

export interface OpenStoreOptions {
  /** The resolved `store` setting (config.ts): undefined for the files store. */
  store: string | undefined;
  /** Where that setting came from (`--store`, `MXX_STORE`, config.toml, …), for error messages. */
  source?: string;
  paths: MxxPaths;
  /** The server's id among the servers sharing a PostgreSQL store. @default host name + hash of the home */
  nodeId?: string;
}

const ACCEPTED = 'postgres://user:password@host:5432/database (or postgresql://…); leave it unset for files under the mxx home';

/** True when `store` names the PostgreSQL store. */
export function isPostgresStore(store: string): boolean {
  return /^postgres(ql)?:\/\//i.test(store);
}

/**
 * Opens the store the configuration names. PostgreSQL: connects and applies the schema
 * migrations; an unreachable database, a wrong password or a missing database rejects with a
 * StoreError whose message holds no password. Anything else than a postgres:// URL is CONFIG_INVALID.
 */
export async function openStore(options: OpenStoreOptions, logger: Logger): Promise<Store> {
  const { store } = options;
  if (store === undefined || store === '') return createFilesStore({ paths: options.paths, logger });
  if (!isPostgresStore(store)) {
    throw new MxxError('CONFIG_INVALID', `store (${options.source ?? 'setting'}): expected a postgres:// URL, got ${JSON.stringify(redactUrl(store))}`, {
      hint: `accepted: ${ACCEPTED}`,
    });
  }
  const { openPostgresStore } = await import('./postgres/store.js');
  return openPostgresStore({ url: store, logger, nodeId: options.nodeId ?? defaultNodeId(options.paths.home) });
}

export { createFilesStore } from './files.js';
