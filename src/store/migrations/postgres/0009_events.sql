-- Events (Rule 14): written by purse_apply in the same transaction as the change that causes
-- them, numbered per customer (seq) in the order the customer's changes happened. Keyed by the
-- customer for distribution; an event's id is unique by construction (time and randomness),
-- and its index also orders the feed of every customer (ids sort by time).
CREATE TABLE events (
  customer_id text NOT NULL,
  seq         bigint NOT NULL,
  id          text NOT NULL,
  type        text NOT NULL,
  created_at  bigint NOT NULL,
  data        text NOT NULL,
  -- 0 until the delivery worker has made this event's webhook deliveries (the outbox's mark).
  dispatched  integer NOT NULL DEFAULT 0,
  PRIMARY KEY (customer_id, seq)
);
CREATE INDEX events_undispatched ON events (created_at) WHERE dispatched = 0;
CREATE INDEX events_by_id ON events (id);

-- A customer's own alert thresholds (JSON); null takes the configured defaults.
ALTER TABLE customers ADD COLUMN alerts text;
-- When a grant's credits.expiring_soon is due; null once announced (or never).
ALTER TABLE grants ADD COLUMN warn_at bigint;
CREATE INDEX grants_warn_due ON grants (warn_at) WHERE warn_at IS NOT NULL;

-- Webhook endpoints (the app's receivers) and the delivery queue: one delivery per event and
-- endpoint, each attempt logged. Not customer data: read across customers by the delivery
-- worker only, never on a customer's write path (on Citus they stay on the coordinator).
CREATE TABLE webhook_endpoints (
  id                   text PRIMARY KEY,
  url                  text NOT NULL,
  events               text,
  description          text,
  secret               text NOT NULL,
  status               text NOT NULL CHECK (status IN ('enabled', 'disabled')),
  disabled_reason      text,
  consecutive_failures integer NOT NULL DEFAULT 0,
  failing_since        bigint,
  created_at           bigint NOT NULL,
  updated_at           bigint NOT NULL
);

CREATE TABLE webhook_deliveries (
  id              text PRIMARY KEY,
  endpoint_id     text NOT NULL,
  event_id        text NOT NULL,
  customer_id     text NOT NULL,
  status          text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at bigint NOT NULL,
  locked_until    bigint,
  created_at      bigint NOT NULL,
  updated_at      bigint NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';

CREATE TABLE webhook_attempts (
  id          text PRIMARY KEY,
  delivery_id text NOT NULL,
  endpoint_id text NOT NULL,
  event_id    text NOT NULL,
  attempt     integer NOT NULL,
  status_code integer,
  error       text,
  latency_ms  integer NOT NULL,
  at          bigint NOT NULL
);
CREATE INDEX webhook_attempts_by_endpoint ON webhook_attempts (endpoint_id, at, id);
