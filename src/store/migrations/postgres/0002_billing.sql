-- Plans, packs, subscriptions and purchases: where credits come from (Rules 8–10).

CREATE TABLE plans (
  id                 text PRIMARY KEY,
  name               text NOT NULL,
  credits_per_period bigint NOT NULL CHECK (credits_per_period >= 0),
  period             text NOT NULL CHECK (period IN ('day', 'week', 'month', 'year')),
  price_amount       bigint NOT NULL CHECK (price_amount >= 0),
  price_currency     text NOT NULL,
  rollover_max       bigint NOT NULL DEFAULT 0 CHECK (rollover_max >= 0),
  description        text,
  active             boolean NOT NULL DEFAULT true,
  created_at         bigint NOT NULL,
  updated_at         bigint NOT NULL
);

CREATE TABLE packs (
  id              text PRIMARY KEY,
  name            text NOT NULL,
  credits         bigint NOT NULL CHECK (credits > 0),
  price_amount    bigint NOT NULL CHECK (price_amount >= 0),
  price_currency  text NOT NULL,
  expires_in_days bigint CHECK (expires_in_days > 0),
  description     text,
  active          boolean NOT NULL DEFAULT true,
  created_at      bigint NOT NULL,
  updated_at      bigint NOT NULL
);

-- One subscription per customer: the current one (a canceled one stays for history until replaced).
CREATE TABLE subscriptions (
  customer_id          text PRIMARY KEY,
  id                   text NOT NULL,
  plan_id              text NOT NULL,
  status               text NOT NULL CHECK (status IN ('incomplete', 'active', 'canceled')),
  driven_by            text NOT NULL CHECK (driven_by IN ('purse', 'stripe')),
  anchor               bigint NOT NULL,
  period_index         bigint NOT NULL,
  current_period_start bigint NOT NULL,
  current_period_end   bigint NOT NULL,
  cancel_at_period_end boolean NOT NULL DEFAULT false,
  pending_plan_id      text,
  provider_ref         text,
  created_at           bigint NOT NULL,
  updated_at           bigint NOT NULL,
  canceled_at          bigint
);
CREATE INDEX subscriptions_renewing ON subscriptions (current_period_end) WHERE status = 'active' AND driven_by = 'purse';
CREATE INDEX subscriptions_by_ref ON subscriptions (provider_ref);

CREATE TABLE purchases (
  customer_id    text NOT NULL,
  id             text NOT NULL,
  pack_id        text NOT NULL,
  credits        bigint NOT NULL CHECK (credits > 0),
  price_amount   bigint NOT NULL,
  price_currency text NOT NULL,
  expires_in_days bigint,
  status         text NOT NULL CHECK (status IN ('pending', 'paid', 'refunded', 'canceled')),
  provider       text NOT NULL,
  provider_ref   text,
  payment_ref    text,
  checkout_url   text,
  grant_id       text,
  created_at     bigint NOT NULL,
  paid_at        bigint,
  refunded_at    bigint,
  PRIMARY KEY (customer_id, id)
);
CREATE INDEX purchases_by_id ON purchases (id);
CREATE INDEX purchases_by_ref ON purchases (provider_ref);
CREATE INDEX purchases_by_payment ON purchases (payment_ref);
CREATE INDEX purchases_newest ON purchases (customer_id, created_at);
