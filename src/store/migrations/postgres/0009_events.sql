-- Events (Rule 14): written by purse_apply in the same transaction as the change that causes
-- them, numbered per customer (seq) in the order the customer's changes happened. Keyed by the
-- customer for distribution; an event's id is unique by construction (time and randomness).
CREATE TABLE events (
  customer_id text NOT NULL,
  seq         bigint NOT NULL,
  id          text NOT NULL,
  type        text NOT NULL,
  created_at  bigint NOT NULL,
  data        text NOT NULL,
  PRIMARY KEY (customer_id, seq)
);
CREATE INDEX events_by_id ON events (id);
CREATE INDEX events_newest ON events (created_at, customer_id, seq);

-- A customer's own alert thresholds (JSON); null takes the configured defaults.
ALTER TABLE customers ADD COLUMN alerts text;
-- When a grant's credits.expiring_soon is due; null once announced (or never).
ALTER TABLE grants ADD COLUMN warn_at bigint;
CREATE INDEX grants_warn_due ON grants (warn_at) WHERE warn_at IS NOT NULL;
