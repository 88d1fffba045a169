-- Refunds that follow the cause (issue 16): a tool's refund policy (its own percentages, JSON; null
-- takes the configured policy) and report window; a plan's free retries per period and reports per
-- day (null: unlimited); what a generation failed with and the terms it was reserved under, its
-- report, and its retries; and what a customer used of its allowances (JSON on its row, so the
-- write that claims one has it loaded already).
ALTER TABLE tools ADD COLUMN refund_policy TEXT;
ALTER TABLE tools ADD COLUMN report_window_hours INTEGER NOT NULL DEFAULT 24;
ALTER TABLE plans ADD COLUMN free_retries_per_period INTEGER DEFAULT 0;
ALTER TABLE plans ADD COLUMN max_reports_per_day INTEGER;
ALTER TABLE generations ADD COLUMN failure_message TEXT;
ALTER TABLE generations ADD COLUMN refund_terms TEXT;
ALTER TABLE generations ADD COLUMN reported_at INTEGER;
ALTER TABLE generations ADD COLUMN retry_of TEXT;
ALTER TABLE generations ADD COLUMN free_retry INTEGER NOT NULL DEFAULT 0;
ALTER TABLE generations ADD COLUMN retried_by TEXT;
ALTER TABLE customers ADD COLUMN refund_usage TEXT;
