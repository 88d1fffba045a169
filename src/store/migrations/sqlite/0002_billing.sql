-- Plans, packs, subscriptions and purchases: where credits come from (Rules 8–10).

CREATE TABLE plans (
  id                 TEXT PRIMARY KEY,
  name               TEXT NOT NULL,
  credits_per_period INTEGER NOT NULL CHECK (credits_per_period >= 0),
  period             TEXT NOT NULL CHECK (period IN ('day', 'week', 'month', 'year')),
  price_amount       INTEGER NOT NULL CHECK (price_amount >= 0),
  price_currency     TEXT NOT NULL,
  rollover_max       INTEGER NOT NULL DEFAULT 0 CHECK (rollover_max >= 0),
  description        TEXT,
  active             INTEGER NOT NULL DEFAULT 1,
  created_at         INTEGER NOT NULL,
  updated_at         INTEGER NOT NULL
);

CREATE TABLE packs (
  id              TEXT PRIMARY KEY,
  name            TEXT NOT NULL,
  credits         INTEGER NOT NULL CHECK (credits > 0),
  price_amount    INTEGER NOT NULL CHECK (price_amount >= 0),
  price_currency  TEXT NOT NULL,
  expires_in_days INTEGER CHECK (expires_in_days > 0),
  description     TEXT,
  active          INTEGER NOT NULL DEFAULT 1,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);

-- One subscription per customer: the current one (a canceled one stays for history until replaced).
CREATE TABLE subscriptions (
  customer_id          TEXT PRIMARY KEY,
  id                   TEXT NOT NULL,
  plan_id              TEXT NOT NULL,
  status               TEXT NOT NULL CHECK (status IN ('incomplete', 'active', 'canceled')),
  driven_by            TEXT NOT NULL CHECK (driven_by IN ('purse', 'stripe')),
  anchor               INTEGER NOT NULL,
  period_index         INTEGER NOT NULL,
  current_period_start INTEGER NOT NULL,
  current_period_end   INTEGER NOT NULL,
  cancel_at_period_end INTEGER NOT NULL DEFAULT 0,
  pending_plan_id      TEXT,
  provider_ref         TEXT,
  created_at           INTEGER NOT NULL,
  updated_at           INTEGER NOT NULL,
  canceled_at          INTEGER
);
CREATE INDEX subscriptions_renewing ON subscriptions (current_period_end) WHERE status = 'active' AND driven_by = 'purse';
CREATE INDEX subscriptions_by_ref ON subscriptions (provider_ref);

CREATE TABLE purchases (
  customer_id    TEXT NOT NULL,
  id             TEXT NOT NULL,
  pack_id        TEXT NOT NULL,
  credits        INTEGER NOT NULL CHECK (credits > 0),
  price_amount   INTEGER NOT NULL,
  price_currency TEXT NOT NULL,
  expires_in_days INTEGER,
  status         TEXT NOT NULL CHECK (status IN ('pending', 'paid', 'refunded', 'canceled')),
  provider       TEXT NOT NULL,
  provider_ref   TEXT,
  payment_ref    TEXT,
  checkout_url   TEXT,
  grant_id       TEXT,
  created_at     INTEGER NOT NULL,
  paid_at        INTEGER,
  refunded_at    INTEGER,
  PRIMARY KEY (customer_id, id)
);
CREATE INDEX purchases_by_id ON purchases (id);
CREATE INDEX purchases_by_ref ON purchases (provider_ref);
CREATE INDEX purchases_by_payment ON purchases (payment_ref);
CREATE INDEX purchases_newest ON purchases (customer_id, created_at);
