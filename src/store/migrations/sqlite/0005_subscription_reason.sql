-- Why the latest plan change or cancellation was made (the operator's reason).
ALTER TABLE subscriptions ADD COLUMN change_reason TEXT;
