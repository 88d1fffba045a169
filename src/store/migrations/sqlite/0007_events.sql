-- Events (Rule 14): written in the same transaction as the change that causes them,
-- numbered per customer (seq) in the order the customer's changes happened.
CREATE TABLE events (
  customer_id TEXT NOT NULL,
  seq         INTEGER NOT NULL,
  id          TEXT NOT NULL,
  type        TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  data        TEXT NOT NULL,
  PRIMARY KEY (customer_id, seq)
);
CREATE UNIQUE INDEX events_by_id ON events (id);
CREATE INDEX events_newest ON events (created_at, customer_id, seq);

-- A customer's own alert thresholds (JSON); null takes the configured defaults.
ALTER TABLE customers ADD COLUMN alerts TEXT;
-- When a grant's credits.expiring_soon is due; null once announced (or never).
ALTER TABLE grants ADD COLUMN warn_at INTEGER;
CREATE INDEX grants_warn_due ON grants (warn_at) WHERE warn_at IS NOT NULL;
