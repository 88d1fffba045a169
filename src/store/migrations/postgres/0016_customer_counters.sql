-- The customer's last ledger entry id and last event seq, kept on its row: purse_apply numbers a
-- write's entries and events from them in the statement that checks the customer's version,
-- instead of reading the largest id and seq of each table (two statements more a write, each a
-- routed one on Citus). They move with the customer, as its rows do. SQLite numbers by rowid.
ALTER TABLE customers ADD COLUMN last_ledger_id bigint NOT NULL DEFAULT 0;
ALTER TABLE customers ADD COLUMN last_event_seq bigint NOT NULL DEFAULT 0;
UPDATE customers c SET last_ledger_id = l.last_id
  FROM (SELECT customer_id, max(id) AS last_id FROM ledger_entries GROUP BY customer_id) l
 WHERE l.customer_id = c.id;
UPDATE customers c SET last_event_seq = e.last_seq
  FROM (SELECT customer_id, max(seq) AS last_seq FROM events GROUP BY customer_id) e
 WHERE e.customer_id = c.id;
