-- Auto top-up (issue 14): the customer's standing order and its state, kept whole on the customer's
-- row (JSON text, as alerts) so the write that crosses the threshold has it loaded already; and which
-- purchases auto top-up made, with a partial index for the worker that pays the pending ones.
-- Both columns live on tables distributed by the customer; no new key.
ALTER TABLE customers ADD COLUMN auto_top_up text;
ALTER TABLE purchases ADD COLUMN auto_top_up boolean NOT NULL DEFAULT false;
CREATE INDEX purchases_top_ups_pending ON purchases (created_at) WHERE auto_top_up AND status = 'pending';
-- The payment provider's customer (Stripe: cus_…) whose saved card pays top-ups off-session.
ALTER TABLE customers ADD COLUMN payment_customer_ref text;
