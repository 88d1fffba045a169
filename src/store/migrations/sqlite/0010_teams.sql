-- Teams (issue 15): a team is a customer whose balance its members share. A member row is keyed
-- by its team; a removed member keeps its row (removed_at) so its history still names it.
CREATE TABLE members (
  customer_id   TEXT NOT NULL,
  member_id     TEXT NOT NULL,
  name          TEXT,
  email         TEXT,
  role          TEXT NOT NULL CHECK (role IN ('admin', 'member')),
  -- The member's own caps per UTC day and month (JSON); null: none.
  limits        TEXT,
  limits_reason TEXT,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  removed_at    INTEGER,
  PRIMARY KEY (customer_id, member_id)
);

-- The member a generation, and every ledger entry it makes, was spent by; null when none.
ALTER TABLE generations ADD COLUMN member_id TEXT;
ALTER TABLE ledger_entries ADD COLUMN member_id TEXT;
CREATE INDEX generations_by_member ON generations (customer_id, member_id, created_at) WHERE member_id IS NOT NULL;

-- Spend windows gain the scope 'member' (member_id set, tool_id ''); the check and the key change,
-- so the table is made again (SQLite alters neither in place).
CREATE TABLE spend_windows_teams (
  customer_id  TEXT NOT NULL,
  scope        TEXT NOT NULL CHECK (scope IN ('customer', 'tool', 'member')),
  tool_id      TEXT NOT NULL,
  member_id    TEXT NOT NULL DEFAULT '',
  window_kind  TEXT NOT NULL CHECK (window_kind IN ('day', 'month')),
  window_start INTEGER NOT NULL,
  used         INTEGER NOT NULL CHECK (used >= 0),
  PRIMARY KEY (customer_id, window_start, scope, tool_id, member_id, window_kind)
);
INSERT INTO spend_windows_teams (customer_id, scope, tool_id, member_id, window_kind, window_start, used)
  SELECT customer_id, scope, tool_id, '', window_kind, window_start, used FROM spend_windows;
DROP TABLE spend_windows;
ALTER TABLE spend_windows_teams RENAME TO spend_windows;
