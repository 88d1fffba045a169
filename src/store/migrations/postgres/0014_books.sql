-- Books in money (issue 16, Rule 19). Each grant keeps the money its credits cost the customer
-- (minor units, with the currency), its credits gone for good, and whether its payment was
-- refunded; each ledger entry keeps the money it moved (domain/money.ts). Grants made before this
-- migration carry no money (paid 0): the books start here, and the ledger, which is never edited,
-- keeps money 0 on the entries already written. Their consumed credits are taken from the ledger.
-- All columns live on tables distributed by the customer; no new key.
ALTER TABLE grants ADD COLUMN paid bigint NOT NULL DEFAULT 0 CHECK (paid >= 0);
ALTER TABLE grants ADD COLUMN currency text;
ALTER TABLE grants ADD COLUMN consumed bigint NOT NULL DEFAULT 0;
ALTER TABLE grants ADD COLUMN refunded integer NOT NULL DEFAULT 0;
ALTER TABLE ledger_entries ADD COLUMN money bigint NOT NULL DEFAULT 0;
UPDATE grants g SET consumed = s.consumed
  FROM (SELECT customer_id, grant_id,
               SUM(CASE type WHEN 'charge' THEN amount WHEN 'refund' THEN -amount WHEN 'expire' THEN amount WHEN 'void' THEN amount ELSE 0 END) AS consumed
          FROM ledger_entries GROUP BY customer_id, grant_id) s
 WHERE g.customer_id = s.customer_id AND g.id = s.grant_id;
-- The revenue report reads money by day.
CREATE INDEX ledger_money_by_time ON ledger_entries (created_at) WHERE money <> 0;
