/**
 * The connection: a pg Pool built from a `postgres://` URL, and the one translation of pg's errors
 * into StoreErrors. The URL (and so the password) is kept only inside the pool's config; every
 * message and every error this module makes is redacted, and the original error is not kept as
 * `cause` (Node's URL errors carry the whole input, pg's carry the config's host and user).
 */
import pg from 'pg';
import { StoreError, type StoreErrorCode } from './errors.js';
import { redactText, redactUrl } from './redact.js';

export interface PostgresOptions {
  /** `postgres://user:password@host:port/database?sslmode=…` (also `postgresql://`). */
  url: string;
  /** Connections in the pool. @default 10 */
  max?: number;
  /** How long a connection attempt may take. @default 5000 */
  connectTimeoutMs?: number;
  /** An idle pooled connection that dies (database restarted) is reported here, never thrown. @default ignore */
  onError?: (error: StoreError) => void;
  /** Shown in pg_stat_activity. @default 'mxx' */
  applicationName?: string;
}

export interface ResolvedPostgresOptions {
  url: string;
  /** The URL with its password masked: the only form that may be logged. */
  redactedUrl: string;
  max: number;
  connectTimeoutMs: number;
  onError: (error: StoreError) => void;
  applicationName: string;
}

export function resolvePostgresOptions(options: PostgresOptions): ResolvedPostgresOptions {
  const { url } = options;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new StoreError('STORE_URL_INVALID', `store ${redactUrl(url)}: not a URL`, {
      hint: 'use postgres://user:password@host:5432/database',
    });
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new StoreError('STORE_URL_INVALID', `store ${redactUrl(url)}: the scheme must be postgres:// (got ${parsed.protocol}//)`);
  }
  const max = options.max ?? 10;
  if (!Number.isInteger(max) || max < 1) throw new StoreError('STORE_URL_INVALID', `postgres options.max must be a positive integer (got ${max})`);
  const connectTimeoutMs = options.connectTimeoutMs ?? 5000;
  if (!Number.isInteger(connectTimeoutMs) || connectTimeoutMs < 1) {
    throw new StoreError('STORE_URL_INVALID', `postgres options.connectTimeoutMs must be a positive integer (got ${connectTimeoutMs})`);
  }
  return {
    url,
    redactedUrl: redactUrl(url),
    max,
    connectTimeoutMs,
    onError: options.onError ?? (() => {}),
    applicationName: options.applicationName ?? 'mxx',
  };
}

/** pg's connection settings for `options` (shared by the pool and the listener's own client). */
export function clientConfig(options: ResolvedPostgresOptions): pg.ClientConfig {
  return {
    connectionString: options.url,
    connectionTimeoutMillis: options.connectTimeoutMs,
    application_name: options.applicationName,
  };
}

export interface PostgresPool {
  readonly pool: pg.Pool;
  readonly options: ResolvedPostgresOptions;
  /** One statement; pg errors become StoreErrors that name `what`. */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(what: string, text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
  /** BEGIN … COMMIT on one connection (ROLLBACK when `body` throws). */
  transaction<T>(what: string, body: (client: pg.PoolClient) => Promise<T>): Promise<T>;
  end(): Promise<void>;
}

export function createPostgresPool(options: PostgresOptions): PostgresPool {
  const resolved = resolvePostgresOptions(options);
  const pool = new pg.Pool({ ...clientConfig(resolved), max: resolved.max });
  // An idle connection cut by the server emits here; unhandled it would be an uncaught exception.
  pool.on('error', (error) => resolved.onError(toStoreError(error, resolved.url, 'an idle connection')));
  const wrap = (what: string) => (error: unknown) => {
    throw toStoreError(error, resolved.url, what);
  };
  return {
    pool,
    options: resolved,
    query: (what, text, values) => pool.query(text, values).catch(wrap(what)),
    async transaction(what, body) {
      const client = await pool.connect().catch(wrap(what));
      let broken = false;
      // A connection cut while checked out emits 'error' on the client (the pool listens only while
      // it is idle); unheard, that is an uncaught exception. The statement in flight rejects anyway.
      const onClientError = (): void => {
        broken = true;
      };
      client.on('error', onClientError);
      try {
        await client.query('BEGIN');
        const result = await body(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
        if (error instanceof StoreError) throw error;
        throw toStoreError(error, resolved.url, what);
      } finally {
        // A connection whose ROLLBACK failed is in an unknown state: drop it rather than reuse it.
        client.off('error', onClientError);
        client.release(broken);
      }
    },
    end: () => pool.end(),
  };
}

const UNREACHABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);

function classify(error: { code?: unknown; message?: unknown }): StoreErrorCode {
  const code = typeof error.code === 'string' ? error.code : '';
  if (code === '28P01' || code === '28000') return 'STORE_AUTH_FAILED';
  if (code === '3D000') return 'STORE_DATABASE_MISSING';
  // Class 08 (connection exception), 57P01-03 (admin shutdown, crash shutdown, cannot connect now).
  if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03') return 'STORE_UNREACHABLE';
  if (UNREACHABLE_ERRNO.has(code)) return 'STORE_UNREACHABLE';
  const message = typeof error.message === 'string' ? error.message : '';
  if (/Connection terminated|connection timeout|Client has encountered a connection error|not queryable/i.test(message)) {
    return 'STORE_UNREACHABLE';
  }
  return 'STORE_QUERY_FAILED';
}

const HINTS: Partial<Record<StoreErrorCode, string>> = {
  STORE_AUTH_FAILED: 'check the user and password in the store URL',
  STORE_DATABASE_MISSING: 'create the database first (CREATE DATABASE …) or fix its name in the store URL',
  STORE_UNREACHABLE: 'is PostgreSQL running and reachable from this machine? retry later',
};

/**
 * Any error from pg (or the network) as a StoreError whose message and details hold no password.
 * `what` names the operation: "store postgres://mxx:***@db/mxx: could not claim a fire: …".
 */
export function toStoreError(error: unknown, url: string, what: string): StoreError {
  if (error instanceof StoreError) return error;
  const fields = (typeof error === 'object' && error !== null ? error : { message: String(error) }) as {
    code?: unknown;
    message?: unknown;
    detail?: unknown;
  };
  const storeCode = classify(fields);
  const reason = redactText(typeof fields.message === 'string' && fields.message !== '' ? fields.message : String(error), url);
  const pgCode = typeof fields.code === 'string' ? fields.code : undefined;
  const detail = typeof fields.detail === 'string' ? redactText(fields.detail, url) : undefined;
  const hint = HINTS[storeCode];
  return new StoreError(storeCode, `store ${redactUrl(url)}: ${what}: ${reason}${pgCode ? ` (${pgCode})` : ''}`, {
    ...(hint === undefined ? {} : { hint }),
    details: { ...(pgCode === undefined ? {} : { pgCode }), ...(detail === undefined ? {} : { detail }) },
  });
}
