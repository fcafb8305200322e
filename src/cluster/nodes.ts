/** The servers of a cluster as GET /nodes and `mxx nodes` show them (ages by the database's clock). */
import type { PostgresPool } from '../store/postgres/connection.js';

export interface NodeView {
  id: string;
  host: string;
  url: string | null;
  version: string;
  labels: string[];
  epoch: number;
  started_at: string;
  /** Milliseconds since its last heartbeat, by the database's clock. */
  lease_age_ms: number;
  /** Its lease is live (it renewed in time and did not leave). */
  alive: boolean;
  /** Runs the store has as queued or running on it. */
  running: number;
  /** This server (the one answering). */
  self: boolean;
  /** Database clock minus this server's, ms (measured by the answering server for itself only). */
  skew_ms?: number | null;
}

export async function listNodes(db: PostgresPool, selfId: string, selfSkewMs: number | null): Promise<NodeView[]> {
  const { rows } = await db.query<{
    node_id: string;
    host: string;
    url: string | null;
    version: string;
    labels: string[];
    epoch: string;
    started_at: Date;
    age_ms: number;
    alive: boolean;
    running: number;
  }>(
    'could not list the servers',
    `SELECT n.node_id, n.host, n.url, n.version, n.labels, n.epoch, n.started_at,
            (extract(epoch FROM now() - n.heartbeat_at) * 1000)::float8 AS age_ms,
            (n.lease_until > now() AND n.reaped_at IS NULL) AS alive,
            (SELECT count(*)::int FROM mxx_runs r WHERE r.node_id = n.node_id AND r.node_epoch = n.epoch AND r.state IN ('queued', 'running')) AS running
     FROM mxx_nodes n ORDER BY n.node_id`,
  );
  return rows.map((r) => ({
    id: r.node_id,
    host: r.host,
    url: r.url,
    version: r.version,
    labels: r.labels,
    epoch: Number(r.epoch),
    started_at: r.started_at.toISOString(),
    lease_age_ms: Math.max(0, Math.round(r.age_ms)),
    alive: r.alive,
    running: r.running,
    self: r.node_id === selfId,
    ...(r.node_id === selfId ? { skew_ms: selfSkewMs } : {}),
  }));
}
