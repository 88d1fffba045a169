-- Spend limits and the in-flight cap (Rule 16). A customer's own limits and a plan's defaults
-- (JSON; null: none); the customer's open holds, kept by every write that opens or settles one,
-- so the cap is checked without counting generations.
ALTER TABLE customers ADD COLUMN limits TEXT;
-- Why they were last set, as the operator gave it.
ALTER TABLE customers ADD COLUMN limits_reason TEXT;
ALTER TABLE customers ADD COLUMN in_flight INTEGER NOT NULL DEFAULT 0;
UPDATE customers SET in_flight = (SELECT count(*) FROM generations g WHERE g.customer_id = customers.id AND g.status = 'reserved');
ALTER TABLE plans ADD COLUMN limits TEXT;
-- 1 when the generation's cost was counted in its customer's spend windows.
ALTER TABLE generations ADD COLUMN counted INTEGER NOT NULL DEFAULT 0;

-- What a customer reserved per UTC day and month (net of credits that came back), in total
-- (scope 'customer', tool_id '') and per tool. Kept only while the customer has limits in force.
CREATE TABLE spend_windows (
  customer_id  TEXT NOT NULL,
  scope        TEXT NOT NULL CHECK (scope IN ('customer', 'tool')),
  tool_id      TEXT NOT NULL,
  window_kind  TEXT NOT NULL CHECK (window_kind IN ('day', 'month')),
  window_start INTEGER NOT NULL,
  used         INTEGER NOT NULL CHECK (used >= 0),
  PRIMARY KEY (customer_id, window_start, scope, tool_id, window_kind)
);
