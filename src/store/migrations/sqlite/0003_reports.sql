-- Reports read the ledger and generations by time.
CREATE INDEX ledger_by_time ON ledger_entries (created_at);
CREATE INDEX generations_by_time ON generations (created_at);
