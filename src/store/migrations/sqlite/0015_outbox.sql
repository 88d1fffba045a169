-- The webhook delivery worker's tables now live in the outbox's own file (SqliteStore, and
-- migrations/sqlite-outbox/0001_webhooks.sql, which copied their rows there before this runs).
-- The events' dispatched mark gives way to the outbox's place in the events (its fanout row), so
-- the API's event writes no longer touch the index of undispatched events; the column stays, unused.
DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoints;
DROP INDEX events_undispatched;
