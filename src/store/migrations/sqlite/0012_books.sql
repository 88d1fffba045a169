-- Books in money (issue 16, Rule 19). Each grant keeps the money its credits cost the customer
-- (minor units, with the currency), its credits gone for good, and whether its payment was
-- refunded; each ledger entry keeps the money it moved (domain/money.ts). Grants made before this
-- migration carry no money (paid 0): the books start here, and the ledger, which is never edited,
-- keeps money 0 on the entries already written. Their consumed credits are taken from the ledger.
ALTER TABLE grants ADD COLUMN paid INTEGER NOT NULL DEFAULT 0 CHECK (paid >= 0);
ALTER TABLE grants ADD COLUMN currency TEXT;
ALTER TABLE grants ADD COLUMN consumed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE grants ADD COLUMN refunded INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ledger_entries ADD COLUMN money INTEGER NOT NULL DEFAULT 0;
UPDATE grants SET consumed = (
  SELECT COALESCE(SUM(CASE e.type WHEN 'charge' THEN e.amount WHEN 'refund' THEN -e.amount WHEN 'expire' THEN e.amount WHEN 'void' THEN e.amount ELSE 0 END), 0)
    FROM ledger_entries e WHERE e.customer_id = grants.customer_id AND e.grant_id = grants.id);
-- The revenue report reads money by day.
CREATE INDEX ledger_money_by_time ON ledger_entries (created_at) WHERE money <> 0;
