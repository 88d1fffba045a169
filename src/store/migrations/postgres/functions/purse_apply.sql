-- purse_apply: writes one customer's decided changes if the customer's version is still the
-- one the decision was made on, and answers whether it did. The only definition of the
-- function: the migrator (re)creates it under the migration lock whenever this file changes,
-- after the numbered migrations, so shipped migrations are never copied to change it.
-- The double-brace column lists are filled from WRITTEN_COLUMNS (src/store/rows.ts) as the file
-- is applied (written-sql.ts, expandColumns): a new column is named there once.
CREATE OR REPLACE FUNCTION purse_apply(p_customer text, p_version bigint, p_changes jsonb) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
  -- Set by the write engine on Citus (p_changes.oneRowEach): the customer's generations, grant
  -- updates, ledger entries, idempotency keys and events are then written one row per statement,
  -- each naming the customer. Citus runs a single-row statement on the shard it names directly,
  -- while an INSERT … SELECT (or UPDATE … FROM) over the JSON goes through its distributed planner
  -- and insert-select machinery: 0.2–0.6 ms more each on a worker, bench/citus-bench.ts. On one
  -- database a statement per table is the faster (a hot customer's batch carries dozens of rows).
  one_row_each constant boolean := coalesce((p_changes->>'oneRowEach')::boolean, false);
  new_generation generations; changed_generation generations; changed_grant grants;
  new_entry ledger_entries; new_key idempotency_keys; new_event events;
  last_id bigint; last_seq bigint; n integer := 0; id_owner text; sent_plan text; sent_plan_row jsonb; current_plan_row jsonb;
  sent_tool text; sent_tool_row jsonb; current_tool_row jsonb;
BEGIN
  -- This function's statements read and write every table by its key, so each keeps one plan
  -- (test/store/generic-plans.pg.test.ts checks them on an empty database) instead of being
  -- planned again on every call as the session's other queries are. On Citus too when every
  -- statement the call runs is one row's: Citus then keeps, per statement, a plan that finds the
  -- shard from the customer's value as it runs, and the local shard's own plan (a worker's CPU per
  -- lifecycle 3.1 -> 2.3 ms, bench/citus-bench.ts) — but it cannot plan a statement over the
  -- JSON's rows that way ("could not create distributed plan"), so a call that writes new grants,
  -- a subscription, purchases, spend windows or the customer's settings is planned per call.
  IF to_regclass('pg_dist_partition') IS NULL
     OR (one_row_each AND NOT p_changes ? 'customer'
         AND jsonb_array_length(p_changes->'insertGrants') + jsonb_array_length(p_changes->'subscription')
             + jsonb_array_length(p_changes->'insertPurchases') + jsonb_array_length(p_changes->'updatePurchases')
             + jsonb_array_length(coalesce(p_changes->'spendWindows', '[]')) = 0
         AND (jsonb_array_length(p_changes->'insertGenerations') = 0 OR p_changes ? 'generationIdsClaimed')) THEN
    PERFORM set_config('plan_cache_mode', 'force_generic_plan', true);
  END IF;
  -- A write decided on plans read before this call (the write engine's kept state) holds only
  -- while their rows are as they were then; checked before anything is written, one plan at a
  -- time (a statement of one row, which keeps its plan on Citus too).
  -- (Tests of their own, so that the plans are read only when sent: one expression is planned
  -- whole, on Citus as a distributed query, on every call.)
  IF p_changes ? 'plans' THEN
    FOR sent_plan, sent_plan_row IN SELECT key, value FROM jsonb_each(p_changes->'plans') LOOP
      SELECT to_jsonb(p) INTO current_plan_row FROM plans p WHERE p.id = sent_plan;
      IF current_plan_row IS DISTINCT FROM sent_plan_row THEN
        RETURN false;
      END IF;
    END LOOP;
  END IF;
  -- So does a price: a reservation's tool row, as the write engine read or kept it, must be as it
  -- is now (an operator's price change made by another process is seen here, and the write is
  -- decided again on the tool read afresh).
  IF p_changes ? 'tools' THEN
    FOR sent_tool, sent_tool_row IN SELECT key, value FROM jsonb_each(p_changes->'tools') LOOP
      SELECT to_jsonb(t) INTO current_tool_row FROM tools t WHERE t.id = sent_tool;
      IF current_tool_row IS DISTINCT FROM sent_tool_row THEN
        RETURN false;
      END IF;
    END LOOP;
  END IF;
  -- The customer's open holds, its last ledger entry id and its last event seq move with its
  -- version, in the same statement; the write's entries and events are numbered after the last
  -- ones, in the order the write lists them: an order no shard move changes.
  UPDATE customers SET version = version + 1, in_flight = in_flight + coalesce((p_changes->>'inFlightDelta')::integer, 0),
         last_ledger_id = last_ledger_id + jsonb_array_length(coalesce(p_changes->'ledger', '[]')),
         last_event_seq = last_event_seq + jsonb_array_length(coalesce(p_changes->'events', '[]'))
   WHERE id = p_customer AND version = p_version
  RETURNING last_ledger_id - jsonb_array_length(coalesce(p_changes->'ledger', '[]')), last_event_seq - jsonb_array_length(coalesce(p_changes->'events', '[]'))
       INTO last_id, last_seq;
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  IF p_changes ? 'customer' THEN
    UPDATE customers c SET {{customers.update=u}}
      FROM jsonb_populate_record(NULL::customers, p_changes->'customer') u
     WHERE c.id = p_customer;
  END IF;

  IF jsonb_array_length(p_changes->'insertGrants') > 0 THEN
    INSERT INTO grants ({{grants.insert}})
    SELECT {{grants.insert}} FROM jsonb_populate_recordset(NULL::grants, p_changes->'insertGrants');
    -- The routed lookup of a grant named by id alone (POST /v1/grants/{id}/void).
    INSERT INTO customer_refs (ref, customer_id)
    SELECT 'grant:' || id, p_customer FROM jsonb_populate_recordset(NULL::grants, p_changes->'insertGrants')
    ON CONFLICT (ref) DO NOTHING;
  END IF;
  IF jsonb_array_length(p_changes->'updateGrants') > 0 THEN
    IF one_row_each THEN
      FOR changed_grant IN SELECT * FROM jsonb_populate_recordset(NULL::grants, p_changes->'updateGrants') LOOP
        UPDATE grants g SET {{grants.update=changed_grant}}
         WHERE g.customer_id = p_customer AND changed_grant.customer_id = p_customer AND g.id = changed_grant.id;
      END LOOP;
    ELSE
      UPDATE grants g SET {{grants.update=u}}
        FROM jsonb_populate_recordset(NULL::grants, p_changes->'updateGrants') u
       WHERE g.customer_id = p_customer AND u.customer_id = p_customer AND g.id = u.id;
    END IF;
  END IF;
  IF jsonb_array_length(p_changes->'insertGenerations') > 0 THEN
    -- The id's owner first: a generation id another customer holds stops the whole write here.
    IF p_changes ? 'generationIdsClaimed' THEN
      -- On Citus: the ids listed were claimed for this customer before the call, each in its own
      -- transaction on the id's node (written here, a row on another node than the customer's
      -- would make the commit a two-phase one). The others' rows are on this node: written here,
      -- one row each, still one node's commit. The customer's own earlier claim (a write lost
      -- after it) is its to use, as the claim before the call would find it.
      FOR new_generation IN SELECT * FROM jsonb_populate_recordset(NULL::generations, p_changes->'insertGenerations') g
                             WHERE NOT (p_changes->'generationIdsClaimed') ? g.id LOOP
        INSERT INTO generation_ids (id, customer_id) VALUES (new_generation.id, p_customer) ON CONFLICT (id) DO NOTHING;
        -- (Two tests, so that the owner is read only when the id was there already.)
        IF NOT FOUND THEN
          SELECT customer_id INTO id_owner FROM generation_ids WHERE id = new_generation.id;
          IF id_owner IS DISTINCT FROM p_customer THEN
            RAISE unique_violation USING MESSAGE = 'duplicate key value violates unique constraint "generation_ids_pkey"',
                                         CONSTRAINT = 'generation_ids_pkey';
          END IF;
        END IF;
      END LOOP;
    ELSE
      INSERT INTO generation_ids (id, customer_id)
      SELECT id, customer_id FROM jsonb_populate_recordset(NULL::generations, p_changes->'insertGenerations');
    END IF;
    IF one_row_each THEN
      FOR new_generation IN SELECT * FROM jsonb_populate_recordset(NULL::generations, p_changes->'insertGenerations') LOOP
        INSERT INTO generations ({{generations.insert}}) VALUES ({{generations.insert:new_generation|customer_id=p_customer}});
      END LOOP;
    ELSE
      INSERT INTO generations ({{generations.insert}})
      SELECT {{generations.insert}} FROM jsonb_populate_recordset(NULL::generations, p_changes->'insertGenerations');
    END IF;
  END IF;
  IF jsonb_array_length(p_changes->'updateGenerations') > 0 THEN
    IF one_row_each THEN
      FOR changed_generation IN SELECT * FROM jsonb_populate_recordset(NULL::generations, p_changes->'updateGenerations') LOOP
        UPDATE generations g SET {{generations.update=changed_generation}}
         WHERE g.customer_id = p_customer AND changed_generation.customer_id = p_customer AND g.id = changed_generation.id;
      END LOOP;
    ELSE
      UPDATE generations g SET {{generations.update=u}}
        FROM jsonb_populate_recordset(NULL::generations, p_changes->'updateGenerations') u
       WHERE g.customer_id = p_customer AND u.customer_id = p_customer AND g.id = u.id;
    END IF;
  END IF;
  IF jsonb_array_length(p_changes->'ledger') > 0 THEN
    IF one_row_each THEN
      FOR new_entry IN SELECT * FROM jsonb_populate_recordset(NULL::ledger_entries, p_changes->'ledger') LOOP
        n := n + 1;
        INSERT INTO ledger_entries (id, {{ledger_entries.insert}}) VALUES (last_id + n, {{ledger_entries.insert:new_entry|customer_id=p_customer}});
      END LOOP;
    ELSE
      INSERT INTO ledger_entries (id, {{ledger_entries.insert}})
      SELECT last_id + x.n, {{ledger_entries.insert:e}}
        FROM jsonb_array_elements(p_changes->'ledger') WITH ORDINALITY AS x(entry, n),
             jsonb_populate_record(NULL::ledger_entries, x.entry) AS e;
    END IF;
  END IF;
  IF jsonb_array_length(p_changes->'idempotency') > 0 THEN
    IF one_row_each THEN
      FOR new_key IN SELECT * FROM jsonb_populate_recordset(NULL::idempotency_keys, p_changes->'idempotency') LOOP
        INSERT INTO idempotency_keys ({{idempotency_keys.insert}}) VALUES ({{idempotency_keys.insert:new_key|customer_id=p_customer}});
      END LOOP;
    ELSE
      INSERT INTO idempotency_keys ({{idempotency_keys.insert}})
      SELECT {{idempotency_keys.insert}} FROM jsonb_populate_recordset(NULL::idempotency_keys, p_changes->'idempotency');
    END IF;
  END IF;
  IF jsonb_array_length(p_changes->'subscription') > 0 THEN
    INSERT INTO subscriptions ({{subscriptions.insert}})
    SELECT {{subscriptions.insert}} FROM jsonb_populate_recordset(NULL::subscriptions, p_changes->'subscription')
    ON CONFLICT (customer_id) DO UPDATE SET {{subscriptions.update=excluded}};
    -- The routed lookup of a subscription named by its payment provider's reference.
    INSERT INTO customer_refs (ref, customer_id)
    SELECT 'subscription:' || provider_ref, p_customer FROM jsonb_populate_recordset(NULL::subscriptions, p_changes->'subscription')
     WHERE provider_ref IS NOT NULL
    ON CONFLICT (ref) DO NOTHING;
  END IF;
  IF jsonb_array_length(p_changes->'insertPurchases') > 0 THEN
    INSERT INTO purchases ({{purchases.insert}})
    SELECT {{purchases.insert}} FROM jsonb_populate_recordset(NULL::purchases, p_changes->'insertPurchases');
  END IF;
  IF jsonb_array_length(p_changes->'updatePurchases') > 0 THEN
    UPDATE purchases p SET {{purchases.update=u}}
      FROM jsonb_populate_recordset(NULL::purchases, p_changes->'updatePurchases') u
     WHERE p.customer_id = p_customer AND u.customer_id = p_customer AND p.id = u.id;
  END IF;
  IF jsonb_array_length(p_changes->'insertPurchases') + jsonb_array_length(p_changes->'updatePurchases') > 0 THEN
    -- The routed lookups of a purchase named by its id (a URL) or by its payment provider's references.
    INSERT INTO customer_refs (ref, customer_id)
    SELECT r.ref, p_customer
      FROM (SELECT * FROM jsonb_populate_recordset(NULL::purchases, p_changes->'insertPurchases')
            UNION ALL SELECT * FROM jsonb_populate_recordset(NULL::purchases, p_changes->'updatePurchases')) u,
           LATERAL (VALUES ('purchase:' || u.id), ('payment:' || u.provider_ref), ('payment:' || u.payment_ref)) AS r(ref)
     WHERE r.ref IS NOT NULL
    ON CONFLICT (ref) DO NOTHING;
  END IF;
  IF jsonb_array_length(p_changes->'events') > 0 THEN
    -- Numbered after the customer's last event (last_seq, read as the version moved; the write
    -- sends 1, 2, 3 …).
    IF one_row_each THEN
      FOR new_event IN SELECT * FROM jsonb_populate_recordset(NULL::events, p_changes->'events') LOOP
        INSERT INTO events ({{events.insert}}) VALUES ({{events.insert:new_event|customer_id=p_customer|seq=last_seq + new_event.seq}});
      END LOOP;
    ELSE
      INSERT INTO events ({{events.insert}})
      SELECT {{events.insert:e|seq=last_seq + e.seq}}
        FROM jsonb_populate_recordset(NULL::events, p_changes->'events') AS e;
    END IF;
  END IF;
  IF jsonb_array_length(coalesce(p_changes->'spendWindows', '[]')) > 0 THEN
    INSERT INTO spend_windows ({{spend_windows.insert}})
    SELECT {{spend_windows.insert}} FROM jsonb_populate_recordset(NULL::spend_windows, p_changes->'spendWindows')
    ON CONFLICT (customer_id, window_start, scope, tool_id, member_id, window_kind) DO UPDATE SET {{spend_windows.update=excluded}};
  END IF;
  RETURN true;
END $$;
