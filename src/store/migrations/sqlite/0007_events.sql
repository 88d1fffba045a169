-- Events (Rule 14): written in the same transaction as the change that causes them,
-- numbered per customer (seq) in the order the customer's changes happened. Found by id
-- through one index, which also orders the feed of every customer (ids sort by time), so
-- each event costs its write as few index pages as can be.
CREATE TABLE events (
  customer_id TEXT NOT NULL,
  seq         INTEGER NOT NULL,
  id          TEXT NOT NULL,
  type        TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  data        TEXT NOT NULL,
  -- 0 until the delivery worker has made this event's webhook deliveries (the outbox's mark).
  dispatched  INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (customer_id, seq)
);
CREATE INDEX events_undispatched ON events (created_at) WHERE dispatched = 0;
CREATE UNIQUE INDEX events_by_id ON events (id);

-- A customer's own alert thresholds (JSON); null takes the configured defaults.
ALTER TABLE customers ADD COLUMN alerts TEXT;
-- When a grant's credits.expiring_soon is due; null once announced (or never).
ALTER TABLE grants ADD COLUMN warn_at INTEGER;
CREATE INDEX grants_warn_due ON grants (warn_at) WHERE warn_at IS NOT NULL;

-- Webhook endpoints (the app's receivers) and the delivery queue: one delivery per event and
-- endpoint, each attempt logged. Not customer data: read across customers by the delivery
-- worker only, never on a customer's write path (on Citus they stay on the coordinator).
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
