-- The plan grant of a subscription's current period, named rather than derived from the
-- period's start (two periods may start in the same millisecond: an upgrade right after a start).
ALTER TABLE subscriptions ADD COLUMN period_grant_id TEXT;

-- A generation id belongs to one customer only, whichever customer asks for it.
DROP INDEX generations_by_id;
CREATE UNIQUE INDEX generations_id_unique ON generations (id);
