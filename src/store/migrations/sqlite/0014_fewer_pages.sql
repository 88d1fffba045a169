-- Fewer pages per write (issue 18). Each b-tree a commit touches costs at least one WAL page, and
-- an insert at a customer's place in an index costs a page per customer in a group commit.
-- Columns, names and queries are unchanged (PostgreSQL needs no counterpart).
--
-- Generations lose two of their seven b-trees. The (customer_id, id) primary key's index goes:
-- ids are unique on their own (generations_id_unique), which every lookup and update by id uses,
-- and a customer's generations are listed through generations_newest. generations_held goes: the
-- sweep's search scans generations_due_by_customer, which holds only the reservations in flight,
-- so one partial index serves the customer's due holds, the balance and the sweep. (Clustering the
-- table by (customer_id, id) WITHOUT ROWID was measured and written more pages, not fewer: a
-- generation's row is too large for an index b-tree, which keeps whole keys in its inner pages.)
CREATE TABLE generations_by_id (
  customer_id     TEXT NOT NULL,
  id              TEXT NOT NULL,
  tool_id         TEXT NOT NULL,
  units           INTEGER NOT NULL CHECK (units >= 1),
  unit_credits    INTEGER NOT NULL CHECK (unit_credits >= 0),
  cost            INTEGER NOT NULL CHECK (cost >= 0),
  status          TEXT NOT NULL CHECK (status IN ('reserved', 'completed', 'failed')),
  allocations     TEXT NOT NULL,
  charged_units   INTEGER,
  charged         INTEGER NOT NULL DEFAULT 0 CHECK (charged >= 0 AND charged <= cost),
  refunded        INTEGER NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= charged),
  metadata        TEXT,
  hold_until      INTEGER NOT NULL,
  failure_reason  TEXT,
  created_at      INTEGER NOT NULL,
  settled_at      INTEGER,
  counted         INTEGER NOT NULL DEFAULT 0,
  member_id       TEXT,
  failure_message TEXT,
  refund_terms    TEXT,
  reported_at     INTEGER,
  retry_of        TEXT,
  free_retry      INTEGER NOT NULL DEFAULT 0,
  retried_by      TEXT
);
INSERT INTO generations_by_id (customer_id, id, tool_id, units, unit_credits, cost, status, allocations, charged_units, charged, refunded, metadata,
                               hold_until, failure_reason, created_at, settled_at, counted, member_id, failure_message, refund_terms, reported_at,
                               retry_of, free_retry, retried_by)
  SELECT customer_id, id, tool_id, units, unit_credits, cost, status, allocations, charged_units, charged, refunded, metadata,
         hold_until, failure_reason, created_at, settled_at, counted, member_id, failure_message, refund_terms, reported_at,
         retry_of, free_retry, retried_by
    FROM generations ORDER BY rowid;
DROP TABLE generations;
ALTER TABLE generations_by_id RENAME TO generations;
CREATE UNIQUE INDEX generations_id_unique ON generations (id);
CREATE INDEX generations_newest ON generations (customer_id, created_at, id);
CREATE INDEX generations_by_time ON generations (created_at);
CREATE INDEX generations_due_by_customer ON generations (customer_id, hold_until) WHERE status = 'reserved';
CREATE INDEX generations_by_member ON generations (customer_id, member_id, created_at) WHERE member_id IS NOT NULL;

-- Idempotency records keyed (key, customer_id) instead of (customer_id, key): the keys Purse
-- makes (`generation:<id>`, `complete:<id>`, …) carry time-ordered ids, so new records go to the
-- right edge of a few ranges of the index instead of one page per customer. The table keeps its
-- rowid, which is the order records were written in (pruning reads the oldest first).
CREATE TABLE idempotency_keys_by_key (
  customer_id  TEXT NOT NULL,
  key          TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  status_code  INTEGER NOT NULL,
  response     TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  PRIMARY KEY (key, customer_id)
);
INSERT INTO idempotency_keys_by_key (rowid, customer_id, key, request_hash, status_code, response, created_at)
  SELECT rowid, customer_id, key, request_hash, status_code, response, created_at FROM idempotency_keys ORDER BY rowid;
DROP TABLE idempotency_keys;
ALTER TABLE idempotency_keys_by_key RENAME TO idempotency_keys;
