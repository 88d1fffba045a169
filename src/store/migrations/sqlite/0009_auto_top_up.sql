-- Auto top-up (issue 14): the customer's standing order and its state, kept whole on the customer's
-- row (JSON) so the write that crosses the threshold has it loaded already; and which purchases
-- auto top-up made, with a partial index for the worker that pays the pending ones.
ALTER TABLE customers ADD COLUMN auto_top_up TEXT;
ALTER TABLE purchases ADD COLUMN auto_top_up INTEGER NOT NULL DEFAULT 0;
CREATE INDEX purchases_top_ups_pending ON purchases (created_at) WHERE auto_top_up = 1 AND status = 'pending';
-- The payment provider's customer (Stripe: cus_…) whose saved card pays top-ups off-session.
ALTER TABLE customers ADD COLUMN payment_customer_ref TEXT;
