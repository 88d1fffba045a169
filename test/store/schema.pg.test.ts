import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALLOWED_TRIGGERS, COORDINATOR_TABLES, CUSTOMER_TABLES, REFERENCE_TABLES, ROUTED_LOOKUPS } from '../../src/store/postgres/distribute.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { createTestDatabase } from '../pg.js';

/**
 * Ready for a distributed PostgreSQL (Citus, by customer): read the live schema and
 * require every table to be in one of `purse distribute`'s lists, every table that
 * holds a customer's data to carry its distribution column in its primary key and
 * in every unique key, no foreign key at all, no trigger on a distributed table but
 * the documented one, and no serial (node-local) column on a distributed table.
 */
const LISTS: Record<string, readonly string[]> = {
  customer: Object.keys(CUSTOMER_TABLES),
  routed: Object.keys(ROUTED_LOOKUPS),
  reference: REFERENCE_TABLES,
  coordinator: Object.keys(COORDINATOR_TABLES),
};
/** Distributed tables and their distribution columns. */
const DISTRIBUTION_COLUMN: Record<string, string> = { ...CUSTOMER_TABLES, ...ROUTED_LOOKUPS };

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let client: pg.Client;

beforeAll(async () => {
  db = await createTestDatabase();
  const store = new PostgresStore(db.url);
  await store.migrate();
  await store.close();
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
});
afterAll(async () => {
  await client?.end();
  await db?.drop();
});

/** Every way the live schema breaks distribution by customer. */
async function schemaProblems(): Promise<{ customerTables: string[]; problems: string[] }> {
  const tables = (await client.query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'")).rows.map(
    (r) => r.table_name as string,
  );
  const problems: string[] = [];
  for (const table of tables) {
    const lists = Object.keys(LISTS).filter((l) => LISTS[l]!.includes(table));
    if (lists.length !== 1) problems.push(`${table} is in ${lists.length === 0 ? 'no list' : lists.join(' and ')} of purse distribute`);
  }
  // A table with a customer must be distributed by it, or say in COORDINATOR_TABLES why it stays.
  const withCustomer = (await client.query("SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'customer_id'")).rows;
  for (const { table_name: t } of withCustomer) if (!(t in DISTRIBUTION_COLUMN) && !(t in COORDINATOR_TABLES)) problems.push(`${t} has a customer_id but is not distributed by it`);
  const customerTables = tables.filter((t) => t in DISTRIBUTION_COLUMN).sort();
  for (const table of customerTables) {
    const column = DISTRIBUTION_COLUMN[table]!;
    const uniques = (
      await client.query(
        `SELECT i.relname AS index, ix.indisprimary AS primary, array_agg(a.attname::text) AS columns
           FROM pg_index ix
           JOIN pg_class t ON t.oid = ix.indrelid
           JOIN pg_class i ON i.oid = ix.indexrelid
           JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY(ix.indkey)
          WHERE t.relname = $1 AND ix.indisunique
          GROUP BY i.relname, ix.indisprimary`,
        [table],
      )
    ).rows;
    if (!uniques.some((u) => u.primary)) problems.push(`${table} has no primary key`);
    for (const u of uniques) if (!u.columns.includes(column)) problems.push(`${table}: unique key ${u.index} (${u.columns}) lacks ${column}`);
  }
  const fks = (await client.query("SELECT conrelid::regclass::text AS table, conname FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace")).rows;
  for (const fk of fks) problems.push(`${fk.table}: foreign key ${fk.conname}`);
  // Citus refuses triggers on distributed tables unless told; only the documented one is allowed.
  const triggers = (await client.query('SELECT tgrelid::regclass::text AS table, tgname FROM pg_trigger WHERE NOT tgisinternal')).rows;
  for (const t of triggers) {
    if (!(t.table in DISTRIBUTION_COLUMN)) continue;
    if ((ALLOWED_TRIGGERS as Record<string, string>)[t.tgname] !== t.table) problems.push(`${t.table}: trigger ${t.tgname}`);
  }
  // A serial or identity column counts on one node: its order breaks when a shard moves.
  const serials = (
    await client.query(
      `SELECT table_name, column_name FROM information_schema.columns
        WHERE table_schema = 'public' AND (column_default LIKE 'nextval(%' OR is_identity = 'YES')`,
    )
  ).rows;
  for (const c of serials) if (c.table_name in DISTRIBUTION_COLUMN) problems.push(`${c.table_name}: serial column ${c.column_name}`);
  return { customerTables, problems };
}

describe('the PostgreSQL schema can be distributed by customer', () => {
  it('keys every customer table by customer and has no foreign keys', async () => {
    const { customerTables, problems } = await schemaProblems();
    expect(customerTables).toEqual(['customer_refs', 'customers', 'events', 'generation_ids', 'generations', 'grants', 'idempotency_keys', 'ledger_entries', 'members', 'purchases', 'spend_windows', 'subscriptions']);
    expect(problems).toEqual([]);
  });

  it('catches a table in no list, a unique key without its customer, and a foreign key', async () => {
    await client.query('CREATE TABLE sneaky (id text PRIMARY KEY, customer_id text NOT NULL REFERENCES customers (id))');
    await client.query('CREATE UNIQUE INDEX grants_sneaky ON grants (id)');
    try {
      const { problems } = await schemaProblems();
      expect(problems).toEqual(
        expect.arrayContaining(['sneaky is in no list of purse distribute', expect.stringMatching(/^grants: unique key grants_sneaky/), expect.stringMatching(/^sneaky: foreign key/)]),
      );
    } finally {
      await client.query('DROP TABLE sneaky');
      await client.query('DROP INDEX grants_sneaky');
    }
  });

  it('catches a customer table purse distribute does not list, a trigger, and a serial order key', async () => {
    await client.query('CREATE TABLE notes (customer_id text NOT NULL, id bigserial, PRIMARY KEY (customer_id, id))');
    await client.query('CREATE TRIGGER grants_touch BEFORE UPDATE ON grants FOR EACH ROW EXECUTE FUNCTION purse_ledger_append_only()');
    try {
      const { problems } = await schemaProblems();
      expect(problems).toEqual(
        expect.arrayContaining(['notes is in no list of purse distribute', 'notes has a customer_id but is not distributed by it', 'grants: trigger grants_touch']),
      );
    } finally {
      await client.query('DROP TABLE notes');
      await client.query('DROP TRIGGER grants_touch ON grants');
    }
    await client.query('ALTER TABLE ledger_entries ADD COLUMN n bigserial');
    try {
      expect((await schemaProblems()).problems).toEqual(['ledger_entries: serial column n']);
    } finally {
      await client.query('ALTER TABLE ledger_entries DROP COLUMN n');
    }
  });

});
