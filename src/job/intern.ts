/**
 * One shared, frozen copy of definition parts that many jobs have alike (a policy, a lifetime, an
 * empty environment): a registry of 100 000 jobs mostly holds the defaults, and a copy each cost
 * ~200 bytes a job. Definitions are read-only; freezing the shared parts keeps them so.
 */
/** Distinct parts kept; past it the pool starts over (sharing is an economy, not a guarantee). */
const MAX_POOLED = 10_000;

const pool = new Map<string, object>();

/** The pooled copy of `value` (plain data, compared by its JSON text), frozen. */
export function intern<T extends object>(kind: string, value: T): Readonly<T> {
  const key = `${kind}:${JSON.stringify(value)}`;
  const known = pool.get(key);
  if (known) return known as T;
  if (pool.size >= MAX_POOLED) pool.clear();
  pool.set(key, Object.freeze(value));
  return value;
}

/** The environment of a job that sets none. */
export const NO_ENV: Readonly<Record<string, string>> = Object.freeze({});
