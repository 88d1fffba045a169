-- Teams (issue 15): a team is a customer whose balance its members share. A member row is keyed
-- by its team first (distributed with the team's other rows, so a member's reservation touches
-- only its team's shard); a removed member keeps its row (removed_at) so its history still names it.
CREATE TABLE members (
  customer_id   text NOT NULL,
  member_id     text NOT NULL,
  name          text,
  email         text,
  role          text NOT NULL CHECK (role IN ('admin', 'member')),
  -- The member's own caps per UTC day and month (JSON text, as the customer's limits); null: none.
  limits        text,
  limits_reason text,
  created_at    bigint NOT NULL,
  updated_at    bigint NOT NULL,
  removed_at    bigint,
  PRIMARY KEY (customer_id, member_id)
);

-- The member a generation, and every ledger entry it makes, was spent by; null when none.
ALTER TABLE generations ADD COLUMN member_id text;
ALTER TABLE ledger_entries ADD COLUMN member_id text;
CREATE INDEX generations_by_member ON generations (customer_id, member_id, created_at) WHERE member_id IS NOT NULL;

-- Spend windows gain the scope 'member' (member_id set, tool_id ''), and the member joins the key.
ALTER TABLE spend_windows ADD COLUMN member_id text NOT NULL DEFAULT '';
ALTER TABLE spend_windows DROP CONSTRAINT spend_windows_scope_check;
ALTER TABLE spend_windows ADD CONSTRAINT spend_windows_scope_check CHECK (scope IN ('customer', 'tool', 'member'));
ALTER TABLE spend_windows DROP CONSTRAINT spend_windows_pkey;
ALTER TABLE spend_windows ADD PRIMARY KEY (customer_id, window_start, scope, tool_id, member_id, window_kind);
