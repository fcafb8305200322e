/**
 * Schema version 1. Every time is a timestamptz written from the database's now(), never from a
 * node's clock, so leases and claims are compared on one clock. Epochs are bigint (pg returns them
 * as strings; the primitives convert).
 */
export const SCHEMA_V1 = `
CREATE TABLE mxx_nodes (
  node_id      text PRIMARY KEY,
  -- Bumped by every join and by a reaper taking the node over: the fencing token.
  epoch        bigint NOT NULL,
  host         text NOT NULL,
  url          text,
  version      text NOT NULL,
  labels       text[] NOT NULL DEFAULT '{}',
  started_at   timestamptz NOT NULL,
  heartbeat_at timestamptz NOT NULL,
  lease_until  timestamptz NOT NULL,
  -- Set when a survivor took the lapsed node over; cleared when the node joins again.
  reaped_at    timestamptz,
  reaped_by    text
);

CREATE TABLE mxx_jobs (
  id           text PRIMARY KEY,
  entry        jsonb NOT NULL,
  content_hash text NOT NULL,
  revision     bigint NOT NULL,
  source       text NOT NULL,
  updated_at   timestamptz NOT NULL DEFAULT now()
);

-- One row per (job, scheduled instant) that some node claimed: the primary key is the exactly-once.
CREATE TABLE mxx_fires (
  job_id        text NOT NULL,
  scheduled_at  timestamptz NOT NULL,
  claimed_by    text NOT NULL,
  claimed_epoch bigint NOT NULL,
  claimed_at    timestamptz NOT NULL,
  run_id        text,
  PRIMARY KEY (job_id, scheduled_at)
);
CREATE INDEX mxx_fires_claimant ON mxx_fires (claimed_by, claimed_epoch);

CREATE TABLE mxx_runs (
  run_id       text PRIMARY KEY,
  job_id       text NOT NULL,
  node_id      text NOT NULL,
  node_epoch   bigint NOT NULL,
  -- The fire this run serves; NULL for a manual trigger.
  scheduled_at timestamptz,
  state        text NOT NULL,
  queued_at    timestamptz NOT NULL DEFAULT now(),
  started_at   timestamptz,
  finished_at  timestamptz,
  exit_code    integer,
  record       jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX mxx_runs_job ON mxx_runs (job_id, queued_at DESC);
CREATE INDEX mxx_runs_live ON mxx_runs (node_id) WHERE state IN ('queued', 'running');

CREATE TABLE mxx_run_output (
  run_id text NOT NULL,
  seq    integer NOT NULL,
  bytes  bytea NOT NULL,
  PRIMARY KEY (run_id, seq)
);
`;
