-- Refunds that follow the cause (issue 16): a tool's refund policy (its own percentages, JSON text;
-- null takes the configured policy) and report window; a plan's free retries per period and reports
-- per day (null: unlimited); what a generation failed with and the terms it was reserved under, its
-- report, and its retries; and what a customer used of its allowances (JSON text on its row, so the
-- write that claims one has it loaded already). Every column lives on a table it already keys; no new key.
ALTER TABLE tools ADD COLUMN refund_policy text;
ALTER TABLE tools ADD COLUMN report_window_hours integer NOT NULL DEFAULT 24;
ALTER TABLE plans ADD COLUMN free_retries_per_period integer DEFAULT 0;
ALTER TABLE plans ADD COLUMN max_reports_per_day integer;
ALTER TABLE generations ADD COLUMN failure_message text;
ALTER TABLE generations ADD COLUMN refund_terms text;
ALTER TABLE generations ADD COLUMN reported_at bigint;
ALTER TABLE generations ADD COLUMN retry_of text;
ALTER TABLE generations ADD COLUMN free_retry integer NOT NULL DEFAULT 0;
ALTER TABLE generations ADD COLUMN retried_by text;
ALTER TABLE customers ADD COLUMN refund_usage text;
