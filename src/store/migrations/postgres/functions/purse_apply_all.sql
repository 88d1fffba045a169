-- purse_apply_all: several customers' decided changes in one call and one commit (the write
-- engine's shared commit, customer-batches.ts). Each element of p_writes is [customer, version,
-- changes] and is written by purse_apply as if alone: all of it, or (when its customer or a plan
-- or tool it was decided on has moved) nothing, answered false in its place. An error in any
-- element rolls back the whole call; the engine then decides and writes each customer alone.
CREATE OR REPLACE FUNCTION purse_apply_all(p_writes jsonb) RETURNS boolean[]
LANGUAGE sql AS $$
  SELECT array_agg(purse_apply(x.w->>0, (x.w->>1)::bigint, x.w->2) ORDER BY x.n)
    FROM jsonb_array_elements(p_writes) WITH ORDINALITY AS x(w, n)
$$;
