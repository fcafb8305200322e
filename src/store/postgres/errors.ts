/**
 * The PostgreSQL store's errors: one table of stable store codes, each mapped onto the code of
 * src/errors.ts that the API and the CLI already understand. A StoreError is an MxxError, so it is
 * answered like any other; `storeCode` says what exactly went wrong with the database.
 */
import { MxxError, type ErrorCode, type MxxErrorOptions } from '../../errors.js';

export const STORE_ERROR_CODES = {
  /** The connection string is not a postgres:// URL or has a bad parameter. */
  STORE_URL_INVALID: 'CONFIG_INVALID',
  /** The server refused the user or password. */
  STORE_AUTH_FAILED: 'CONFIG_INVALID',
  /** The database named in the URL does not exist. */
  STORE_DATABASE_MISSING: 'CONFIG_INVALID',
  /** No connection (refused, timed out, server shutting down, connection lost). Retry later. */
  STORE_UNREACHABLE: 'STORAGE_UNAVAILABLE',
  /** The database's schema is newer than this mxx: upgrade mxx before using this database. */
  STORE_SCHEMA_TOO_NEW: 'STORAGE_UNAVAILABLE',
  /** This node's epoch was bumped or its lease lapsed: it must stop its runs and join again. */
  STORE_FENCED: 'STORAGE_UNAVAILABLE',
  /** Any other failed statement. */
  STORE_QUERY_FAILED: 'STORAGE_UNAVAILABLE',
} as const satisfies Record<string, ErrorCode>;

export type StoreErrorCode = keyof typeof STORE_ERROR_CODES;

export class StoreError extends MxxError {
  readonly storeCode: StoreErrorCode;

  constructor(storeCode: StoreErrorCode, message: string, options: MxxErrorOptions = {}) {
    super(STORE_ERROR_CODES[storeCode], message, options);
    this.storeCode = storeCode;
  }
}

export function isStoreError(value: unknown, code?: StoreErrorCode): value is StoreError {
  return value instanceof StoreError && (code === undefined || value.storeCode === code);
}
