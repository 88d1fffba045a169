-- Why the latest plan change or cancellation was made (the operator's reason); purse_apply writes it.
ALTER TABLE subscriptions ADD COLUMN change_reason text;

CREATE OR REPLACE FUNCTION purse_apply(p_customer text, p_version bigint, p_changes jsonb) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE customers SET version = version + 1 WHERE id = p_customer AND version = p_version;
  IF NOT FOUND THEN
    RETURN false;
  END IF;

  IF jsonb_array_length(p_changes->'insertGrants') > 0 THEN
    INSERT INTO grants SELECT * FROM jsonb_populate_recordset(NULL::grants, p_changes->'insertGrants');
  END IF;
  IF jsonb_array_length(p_changes->'updateGrants') > 0 THEN
    UPDATE grants g SET remaining = u.remaining, voided_at = u.voided_at, expires_at = u.expires_at, reason = u.reason
      FROM jsonb_populate_recordset(NULL::grants, p_changes->'updateGrants') u
     WHERE g.customer_id = p_customer AND u.customer_id = p_customer AND g.id = u.id;
  END IF;
  IF jsonb_array_length(p_changes->'insertGenerations') > 0 THEN
    INSERT INTO generations SELECT * FROM jsonb_populate_recordset(NULL::generations, p_changes->'insertGenerations');
  END IF;
  IF jsonb_array_length(p_changes->'updateGenerations') > 0 THEN
    UPDATE generations g SET status = u.status, charged_units = u.charged_units, charged = u.charged, refunded = u.refunded,
           hold_until = u.hold_until, failure_reason = u.failure_reason, settled_at = u.settled_at
      FROM jsonb_populate_recordset(NULL::generations, p_changes->'updateGenerations') u
     WHERE g.customer_id = p_customer AND u.customer_id = p_customer AND g.id = u.id;
  END IF;
  IF jsonb_array_length(p_changes->'ledger') > 0 THEN
    INSERT INTO ledger_entries (customer_id, type, grant_id, source, generation_id, tool_id, amount, available_delta, reserved_delta, reason, created_at)
    SELECT customer_id, type, grant_id, source, generation_id, tool_id, amount, available_delta, reserved_delta, reason, created_at
      FROM jsonb_populate_recordset(NULL::ledger_entries, p_changes->'ledger');
  END IF;
  IF jsonb_array_length(p_changes->'idempotency') > 0 THEN
    INSERT INTO idempotency_keys SELECT * FROM jsonb_populate_recordset(NULL::idempotency_keys, p_changes->'idempotency');
  END IF;
  IF jsonb_array_length(p_changes->'subscription') > 0 THEN
    INSERT INTO subscriptions SELECT * FROM jsonb_populate_recordset(NULL::subscriptions, p_changes->'subscription')
    ON CONFLICT (customer_id) DO UPDATE SET id = excluded.id, plan_id = excluded.plan_id, status = excluded.status,
       driven_by = excluded.driven_by, anchor = excluded.anchor, period_index = excluded.period_index,
       current_period_start = excluded.current_period_start, current_period_end = excluded.current_period_end,
       cancel_at_period_end = excluded.cancel_at_period_end, pending_plan_id = excluded.pending_plan_id,
       provider_ref = excluded.provider_ref, updated_at = excluded.updated_at, canceled_at = excluded.canceled_at,
       change_reason = excluded.change_reason;
  END IF;
  IF jsonb_array_length(p_changes->'insertPurchases') > 0 THEN
    INSERT INTO purchases SELECT * FROM jsonb_populate_recordset(NULL::purchases, p_changes->'insertPurchases');
  END IF;
  IF jsonb_array_length(p_changes->'updatePurchases') > 0 THEN
    UPDATE purchases p SET status = u.status, provider_ref = u.provider_ref, payment_ref = u.payment_ref, checkout_url = u.checkout_url,
           grant_id = u.grant_id, paid_at = u.paid_at, refunded_at = u.refunded_at
      FROM jsonb_populate_recordset(NULL::purchases, p_changes->'updatePurchases') u
     WHERE p.customer_id = p_customer AND u.customer_id = p_customer AND p.id = u.id;
  END IF;
  RETURN true;
END $$;
