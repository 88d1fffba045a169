-- One shard per write (issue 17). On Citus every customer table is distributed by its customer, so a
-- statement that names no customer reaches every shard. What is looked up by an id alone — a grant
-- or a purchase named in a URL, a payment provider's reference to a purchase or a subscription — is
-- found through customer_refs, a routed lookup keyed (and on Citus distributed) by the reference,
-- which purse_apply writes in the same transaction as the row, as generation_ids for generations.
-- `ref` is the kind and the id: 'grant:<id>', 'purchase:<id>', 'payment:<provider or payment ref>',
-- 'subscription:<provider ref>'. The first customer to write a reference keeps it.
CREATE TABLE customer_refs (
  ref         text PRIMARY KEY,
  customer_id text NOT NULL
);
INSERT INTO customer_refs (ref, customer_id)
SELECT 'grant:' || id, customer_id FROM grants
UNION ALL SELECT 'purchase:' || id, customer_id FROM purchases
UNION ALL SELECT 'payment:' || provider_ref, customer_id FROM purchases WHERE provider_ref IS NOT NULL
UNION ALL SELECT 'payment:' || payment_ref, customer_id FROM purchases WHERE payment_ref IS NOT NULL
UNION ALL SELECT 'subscription:' || provider_ref, customer_id FROM subscriptions WHERE provider_ref IS NOT NULL
ON CONFLICT (ref) DO NOTHING;

-- Order that survives shard moves: a ledger entry's id counts within its customer (the customer's
-- last id + 1, given by purse_apply under the customer's version check), not from a node-local
-- sequence. Ids already written keep their values, so each customer's order is unchanged.
ALTER TABLE ledger_entries ALTER COLUMN id DROP DEFAULT;
DROP SEQUENCE ledger_entries_id_seq;
