-- Purse's first schema. Times are epoch milliseconds (UTC); credits are integers.

CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE api_keys (
  id         TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  prefix     TEXT NOT NULL,
  hash       TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
);

CREATE TABLE tools (
  id           TEXT PRIMARY KEY,
  name         TEXT NOT NULL,
  credits      INTEGER NOT NULL CHECK (credits >= 0),
  unit         TEXT NOT NULL,
  description  TEXT,
  hold_seconds INTEGER NOT NULL CHECK (hold_seconds > 0),
  active       INTEGER NOT NULL DEFAULT 1,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
);

CREATE TABLE tool_prices (
  seq          INTEGER PRIMARY KEY,
  tool_id      TEXT NOT NULL,
  credits      INTEGER NOT NULL,
  unit         TEXT NOT NULL,
  effective_at INTEGER NOT NULL
);
CREATE INDEX tool_prices_tool ON tool_prices (tool_id, seq);

CREATE TABLE customers (
  id         TEXT PRIMARY KEY,
  name       TEXT,
  email      TEXT,
  metadata   TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX customers_email ON customers (email);

CREATE TABLE grants (
  customer_id TEXT NOT NULL,
  id          TEXT NOT NULL,
  source      TEXT NOT NULL CHECK (source IN ('plan', 'addon', 'bonus', 'adjustment')),
  amount      INTEGER NOT NULL CHECK (amount > 0),
  remaining   INTEGER NOT NULL CHECK (remaining >= 0 AND remaining <= amount),
  expires_at  INTEGER,
  priority    INTEGER NOT NULL DEFAULT 0,
  created_at  INTEGER NOT NULL,
  voided_at   INTEGER,
  reason      TEXT,
  origin      TEXT,
  PRIMARY KEY (customer_id, id)
);
CREATE INDEX grants_by_id ON grants (id);
CREATE INDEX grants_live ON grants (customer_id) WHERE remaining > 0 AND voided_at IS NULL;
CREATE INDEX grants_expiring ON grants (expires_at) WHERE remaining > 0 AND voided_at IS NULL AND expires_at IS NOT NULL;

CREATE TABLE generations (
  customer_id    TEXT NOT NULL,
  id             TEXT NOT NULL,
  tool_id        TEXT NOT NULL,
  units          INTEGER NOT NULL CHECK (units >= 1),
  unit_credits   INTEGER NOT NULL CHECK (unit_credits >= 0),
  cost           INTEGER NOT NULL CHECK (cost >= 0),
  status         TEXT NOT NULL CHECK (status IN ('reserved', 'completed', 'failed')),
  allocations    TEXT NOT NULL,
  charged_units  INTEGER,
  charged        INTEGER NOT NULL DEFAULT 0 CHECK (charged >= 0 AND charged <= cost),
  refunded       INTEGER NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= charged),
  metadata       TEXT,
  hold_until     INTEGER NOT NULL,
  failure_reason TEXT,
  created_at     INTEGER NOT NULL,
  settled_at     INTEGER,
  PRIMARY KEY (customer_id, id)
);
CREATE INDEX generations_by_id ON generations (id);
CREATE INDEX generations_held ON generations (hold_until) WHERE status = 'reserved';
CREATE INDEX generations_held_by_customer ON generations (customer_id) WHERE status = 'reserved';
CREATE INDEX generations_newest ON generations (customer_id, created_at, id);

CREATE TABLE ledger_entries (
  id              INTEGER PRIMARY KEY,
  customer_id     TEXT NOT NULL,
  type            TEXT NOT NULL CHECK (type IN ('grant', 'reserve', 'release', 'charge', 'refund', 'expire', 'void')),
  grant_id        TEXT NOT NULL,
  source          TEXT NOT NULL,
  generation_id   TEXT,
  tool_id         TEXT,
  amount          INTEGER NOT NULL CHECK (amount > 0),
  available_delta INTEGER NOT NULL,
  reserved_delta  INTEGER NOT NULL,
  reason          TEXT,
  created_at      INTEGER NOT NULL
);
CREATE INDEX ledger_by_customer ON ledger_entries (customer_id, id);

-- The ledger is append-only (Rule 13).
CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;
CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;

CREATE TABLE idempotency_keys (
  customer_id  TEXT NOT NULL,
  key          TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  status_code  INTEGER NOT NULL,
  response     TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  PRIMARY KEY (customer_id, key)
);
