-- Purse's first schema on PostgreSQL. Times are epoch milliseconds (UTC); credits are integers.
-- Every table that holds a customer's data carries customer_id in its primary key and unique
-- keys, with no foreign key across customers, so Citus can distribute them by customer.

CREATE TABLE meta (
  key   text PRIMARY KEY,
  value text NOT NULL
);

CREATE TABLE api_keys (
  id         text PRIMARY KEY,
  name       text NOT NULL,
  prefix     text NOT NULL,
  hash       text NOT NULL UNIQUE,
  created_at bigint NOT NULL,
  revoked_at bigint
);

CREATE TABLE tools (
  id           text PRIMARY KEY,
  name         text NOT NULL,
  credits      bigint NOT NULL CHECK (credits >= 0),
  unit         text NOT NULL,
  description  text,
  hold_seconds integer NOT NULL CHECK (hold_seconds > 0),
  active       boolean NOT NULL DEFAULT true,
  created_at   bigint NOT NULL,
  updated_at   bigint NOT NULL
);

CREATE TABLE tool_prices (
  seq          bigserial PRIMARY KEY,
  tool_id      text NOT NULL,
  credits      bigint NOT NULL,
  unit         text NOT NULL,
  effective_at bigint NOT NULL
);
CREATE INDEX tool_prices_tool ON tool_prices (tool_id, seq);

-- The customer's own row: its id is the distribution column. `version` orders writes (optimistic concurrency).
CREATE TABLE customers (
  id         text PRIMARY KEY,
  name       text,
  email      text,
  metadata   text,
  version    bigint NOT NULL DEFAULT 0,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);
CREATE INDEX customers_email ON customers (email);

CREATE TABLE grants (
  customer_id text NOT NULL,
  id          text NOT NULL,
  source      text NOT NULL CHECK (source IN ('plan', 'addon', 'bonus', 'adjustment')),
  amount      bigint NOT NULL CHECK (amount > 0),
  remaining   bigint NOT NULL CHECK (remaining >= 0 AND remaining <= amount),
  expires_at  bigint,
  priority    integer NOT NULL DEFAULT 0,
  created_at  bigint NOT NULL,
  voided_at   bigint,
  reason      text,
  origin      text,
  PRIMARY KEY (customer_id, id)
);
CREATE INDEX grants_by_id ON grants (id);
CREATE INDEX grants_live ON grants (customer_id) WHERE remaining > 0 AND voided_at IS NULL;
CREATE INDEX grants_expiring ON grants (expires_at) WHERE remaining > 0 AND voided_at IS NULL AND expires_at IS NOT NULL;

CREATE TABLE generations (
  customer_id    text NOT NULL,
  id             text NOT NULL,
  tool_id        text NOT NULL,
  units          bigint NOT NULL CHECK (units >= 1),
  unit_credits   bigint NOT NULL CHECK (unit_credits >= 0),
  cost           bigint NOT NULL CHECK (cost >= 0),
  status         text NOT NULL CHECK (status IN ('reserved', 'completed', 'failed')),
  allocations    text NOT NULL,
  charged_units  bigint,
  charged        bigint NOT NULL DEFAULT 0 CHECK (charged >= 0 AND charged <= cost),
  refunded       bigint NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= charged),
  metadata       text,
  hold_until     bigint NOT NULL,
  failure_reason text,
  created_at     bigint NOT NULL,
  settled_at     bigint,
  PRIMARY KEY (customer_id, id)
);
CREATE INDEX generations_by_id ON generations (id);
CREATE INDEX generations_held ON generations (hold_until) WHERE status = 'reserved';
CREATE INDEX generations_held_by_customer ON generations (customer_id) WHERE status = 'reserved';
CREATE INDEX generations_newest ON generations (customer_id, created_at, id);

CREATE TABLE ledger_entries (
  customer_id     text NOT NULL,
  id              bigserial NOT NULL,
  type            text NOT NULL CHECK (type IN ('grant', 'reserve', 'release', 'charge', 'refund', 'expire', 'void')),
  grant_id        text NOT NULL,
  source          text NOT NULL,
  generation_id   text,
  tool_id         text,
  amount          bigint NOT NULL CHECK (amount > 0),
  available_delta bigint NOT NULL,
  reserved_delta  bigint NOT NULL,
  reason          text,
  created_at      bigint NOT NULL,
  PRIMARY KEY (customer_id, id)
);

-- The ledger is append-only (Rule 13).
CREATE FUNCTION purse_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger entries are append-only';
END $$;
CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
  FOR EACH ROW EXECUTE FUNCTION purse_ledger_append_only();

CREATE TABLE idempotency_keys (
  customer_id  text NOT NULL,
  key          text NOT NULL,
  request_hash text NOT NULL,
  status_code  integer NOT NULL,
  response     text NOT NULL,
  created_at   bigint NOT NULL,
  PRIMARY KEY (customer_id, key)
);
