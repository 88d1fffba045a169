-- The webhook delivery worker's tables, in a file of their own beside the ledger's (SqliteStore): a
-- delivery turn writes here and only reads the events, so it never holds the ledger's write lock.
-- Versioned by this file's PRAGMA user_version. The first migration moves the tables' rows over
-- from the ledger's file (where 0007_events.sql made them) before the ledger's 0015 drops them.
CREATE TABLE webhook_endpoints (
  id                   TEXT PRIMARY KEY,
  url                  TEXT NOT NULL,
  events               TEXT,
  description          TEXT,
  secret               TEXT NOT NULL,
  status               TEXT NOT NULL CHECK (status IN ('enabled', 'disabled')),
  disabled_reason      TEXT,
  consecutive_failures INTEGER NOT NULL DEFAULT 0,
  failing_since        INTEGER,
  created_at           INTEGER NOT NULL,
  updated_at           INTEGER NOT NULL
);

CREATE TABLE webhook_deliveries (
  id              TEXT PRIMARY KEY,
  endpoint_id     TEXT NOT NULL,
  event_id        TEXT NOT NULL,
  customer_id     TEXT NOT NULL,
  status          TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  locked_until    INTEGER,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';

CREATE TABLE webhook_attempts (
  id          TEXT PRIMARY KEY,
  delivery_id TEXT NOT NULL,
  endpoint_id TEXT NOT NULL,
  event_id    TEXT NOT NULL,
  attempt     INTEGER NOT NULL,
  status_code INTEGER,
  error       TEXT,
  latency_ms  INTEGER NOT NULL,
  at          INTEGER NOT NULL
);
CREATE INDEX webhook_attempts_by_endpoint ON webhook_attempts (endpoint_id, at, id);

-- How far the fan-out has read the ledger's events: the rowid of the last event whose deliveries
-- were made. Events are never deleted, so rowids grow in the order events were committed. One row,
-- written by the migration that makes this table.
CREATE TABLE fanout (
  id          INTEGER PRIMARY KEY CHECK (id = 1),
  event_rowid INTEGER NOT NULL
);
