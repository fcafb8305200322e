/**
 * How far this machine's clock is from the database's. Leases and claims never use the local clock,
 * but schedules fire by it: a large skew means this node fires early or late compared to the others,
 * so the supervisor warns (and `mxx nodes` can show it). NTP-style: the sample with the shortest
 * round trip wins, and the database's reading is compared with the midpoint of that round trip.
 */
import type { PostgresPool } from './connection.js';

export interface Skew {
  /** Database clock minus local clock, in ms (positive: the database is ahead). */
  offsetMs: number;
  /** Round trip of the sample used; the offset is exact to within half of it. */
  rttMs: number;
  samples: number;
}

/** Local wall clock with sub-millisecond resolution. */
const localNow = () => performance.timeOrigin + performance.now();

export async function measureSkew(db: PostgresPool, samples = 5): Promise<Skew> {
  if (!Number.isInteger(samples) || samples < 1) throw new RangeError(`samples must be a positive integer (got ${samples})`);
  let best: { offsetMs: number; rttMs: number } | undefined;
  for (let i = 0; i < samples; i += 1) {
    const sent = localNow();
    // clock_timestamp(), not now(): now() is the transaction's start, not the moment of reading.
    const { rows } = await db.query<{ ms: string }>('could not read the database clock', 'SELECT (extract(epoch FROM clock_timestamp()) * 1000)::text AS ms');
    const received = localNow();
    const rttMs = received - sent;
    const offsetMs = Number(rows[0]!.ms) - (sent + received) / 2;
    if (!best || rttMs < best.rttMs) best = { offsetMs, rttMs };
  }
  return { ...best!, samples };
}
