-- The plan grant of a subscription's current period, named rather than derived from the
-- period's start (two periods may start in the same millisecond: an upgrade right after a start).
ALTER TABLE subscriptions ADD COLUMN period_grant_id text;

-- Which customer holds each generation id: the routed lookup for a generation named by id
-- alone (keyed, and on Citus distributed, by the id), written in the same transaction as the
-- generation by purse_apply. Its primary key makes an id one customer's only, even when two
-- customers' writes race on two processes.
CREATE TABLE generation_ids (
  id          text PRIMARY KEY,
  customer_id text NOT NULL
);
INSERT INTO generation_ids (id, customer_id)
SELECT DISTINCT ON (id) id, customer_id FROM generations ORDER BY id, created_at
ON CONFLICT (id) DO NOTHING;
