-- Spend limits and the in-flight cap (Rule 16). A customer's own limits and a plan's defaults
-- (JSON; null: none); the customer's open holds, kept by purse_apply in the same statement that
-- moves the customer's version, so the cap is checked without counting generations.
ALTER TABLE customers ADD COLUMN limits text;
-- Why they were last set, as the operator gave it.
ALTER TABLE customers ADD COLUMN limits_reason text;
ALTER TABLE customers ADD COLUMN in_flight integer NOT NULL DEFAULT 0;
UPDATE customers c SET in_flight = (SELECT count(*) FROM generations g WHERE g.customer_id = c.id AND g.status = 'reserved');
ALTER TABLE plans ADD COLUMN limits text;
-- 1 when the generation's cost was counted in its customer's spend windows.
ALTER TABLE generations ADD COLUMN counted integer NOT NULL DEFAULT 0;

-- What a customer reserved per UTC day and month (net of credits that came back), in total
-- (scope 'customer', tool_id '') and per tool. Kept only while the customer has limits in force.
-- Keyed by the customer first, for distribution.
CREATE TABLE spend_windows (
  customer_id  text NOT NULL,
  scope        text NOT NULL CHECK (scope IN ('customer', 'tool')),
  tool_id      text NOT NULL,
  window_kind  text NOT NULL CHECK (window_kind IN ('day', 'month')),
  window_start bigint NOT NULL,
  used         bigint NOT NULL CHECK (used >= 0),
  PRIMARY KEY (customer_id, window_start, scope, tool_id, window_kind)
);
