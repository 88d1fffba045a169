-- purse_apply: writes one customer's decided changes if the customer's version is still the
-- one the decision was made on, and answers whether it did. The only definition of the
-- function: the migrator (re)creates it under the migration lock whenever this file changes,
-- after the numbered migrations, so shipped migrations are never copied to change it.
CREATE OR REPLACE FUNCTION purse_apply(p_customer text, p_version bigint, p_changes jsonb) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE customers SET version = version + 1 WHERE id = p_customer AND version = p_version;
  IF NOT FOUND THEN
    RETURN false;
  END IF;

  IF jsonb_array_length(p_changes->'insertGrants') > 0 THEN
    INSERT INTO grants (customer_id, id, source, amount, remaining, expires_at, priority, created_at, voided_at, reason, origin, warn_at)
    SELECT customer_id, id, source, amount, remaining, expires_at, priority, created_at, voided_at, reason, origin, warn_at
      FROM jsonb_populate_recordset(NULL::grants, p_changes->'insertGrants');
  END IF;
  IF jsonb_array_length(p_changes->'updateGrants') > 0 THEN
    UPDATE grants g SET remaining = u.remaining, voided_at = u.voided_at, expires_at = u.expires_at, reason = u.reason, warn_at = u.warn_at
      FROM jsonb_populate_recordset(NULL::grants, p_changes->'updateGrants') u
     WHERE g.customer_id = p_customer AND u.customer_id = p_customer AND g.id = u.id;
  END IF;
  IF jsonb_array_length(p_changes->'insertGenerations') > 0 THEN
    -- The id's owner first: a generation id another customer holds stops the whole write here.
    INSERT INTO generation_ids (id, customer_id)
    SELECT id, customer_id FROM jsonb_populate_recordset(NULL::generations, p_changes->'insertGenerations');
    INSERT INTO generations (customer_id, id, tool_id, units, unit_credits, cost, status, allocations, charged_units, charged, refunded,
                             metadata, hold_until, failure_reason, created_at, settled_at)
    SELECT customer_id, id, tool_id, units, unit_credits, cost, status, allocations, charged_units, charged, refunded,
           metadata, hold_until, failure_reason, created_at, settled_at
      FROM jsonb_populate_recordset(NULL::generations, p_changes->'insertGenerations');
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
    INSERT INTO idempotency_keys (customer_id, key, request_hash, status_code, response, created_at)
    SELECT customer_id, key, request_hash, status_code, response, created_at
      FROM jsonb_populate_recordset(NULL::idempotency_keys, p_changes->'idempotency');
  END IF;
  IF jsonb_array_length(p_changes->'subscription') > 0 THEN
    INSERT INTO subscriptions (customer_id, id, plan_id, status, driven_by, anchor, period_index, current_period_start, current_period_end,
                               cancel_at_period_end, pending_plan_id, provider_ref, created_at, updated_at, canceled_at, change_reason, period_grant_id)
    SELECT customer_id, id, plan_id, status, driven_by, anchor, period_index, current_period_start, current_period_end,
           cancel_at_period_end, pending_plan_id, provider_ref, created_at, updated_at, canceled_at, change_reason, period_grant_id
      FROM jsonb_populate_recordset(NULL::subscriptions, p_changes->'subscription')
    ON CONFLICT (customer_id) DO UPDATE SET id = excluded.id, plan_id = excluded.plan_id, status = excluded.status,
       driven_by = excluded.driven_by, anchor = excluded.anchor, period_index = excluded.period_index,
       current_period_start = excluded.current_period_start, current_period_end = excluded.current_period_end,
       cancel_at_period_end = excluded.cancel_at_period_end, pending_plan_id = excluded.pending_plan_id,
       provider_ref = excluded.provider_ref, updated_at = excluded.updated_at, canceled_at = excluded.canceled_at,
       change_reason = excluded.change_reason, period_grant_id = excluded.period_grant_id;
  END IF;
  IF jsonb_array_length(p_changes->'insertPurchases') > 0 THEN
    INSERT INTO purchases (customer_id, id, pack_id, credits, price_amount, price_currency, expires_in_days, status, provider,
                           provider_ref, payment_ref, checkout_url, grant_id, created_at, paid_at, refunded_at)
    SELECT customer_id, id, pack_id, credits, price_amount, price_currency, expires_in_days, status, provider,
           provider_ref, payment_ref, checkout_url, grant_id, created_at, paid_at, refunded_at
      FROM jsonb_populate_recordset(NULL::purchases, p_changes->'insertPurchases');
  END IF;
  IF jsonb_array_length(p_changes->'updatePurchases') > 0 THEN
    UPDATE purchases p SET status = u.status, provider_ref = u.provider_ref, payment_ref = u.payment_ref, checkout_url = u.checkout_url,
           grant_id = u.grant_id, paid_at = u.paid_at, refunded_at = u.refunded_at
      FROM jsonb_populate_recordset(NULL::purchases, p_changes->'updatePurchases') u
     WHERE p.customer_id = p_customer AND u.customer_id = p_customer AND p.id = u.id;
  END IF;
  IF jsonb_array_length(p_changes->'events') > 0 THEN
    -- Numbered after the customer's last event; the version check above serializes writers of one customer.
    INSERT INTO events (customer_id, seq, id, type, created_at, data)
    SELECT p_customer, last.seq + e.n, e.value->>'id', e.value->>'type', (e.value->>'created_at')::bigint, e.value->>'data'
      FROM (SELECT coalesce(max(seq), 0) AS seq FROM events WHERE customer_id = p_customer) last,
           jsonb_array_elements(p_changes->'events') WITH ORDINALITY AS e(value, n);
  END IF;
  RETURN true;
END $$;
