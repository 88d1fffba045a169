import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { createTestDatabase } from '../pg.js';

/**
 * Ready for a distributed PostgreSQL (Citus, by customer): read the live schema and
 * require every table that holds a customer's data to carry the customer in its
 * primary key and in every unique key, with no foreign key at all between them.
 */
const REFERENCE_TABLES = new Set(['meta', 'api_keys', 'tools', 'tool_prices', 'plans', 'packs', 'schema_migrations', 'schema_functions']);
/** The delivery worker's own tables, read across customers and never on a customer's write path: left on the coordinator. */
const LOCAL_TABLES = new Set(['webhook_endpoints', 'webhook_deliveries', 'webhook_attempts']);
/**
 * The customers table is distributed by its own id; generation_ids, the routed
 * lookup of a generation's customer by the generation's id, by that id.
 */
const DISTRIBUTION_COLUMN: Record<string, string> = { customers: 'id', generation_ids: 'id' };

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
  const customerTables = tables.filter((t) => !REFERENCE_TABLES.has(t) && !LOCAL_TABLES.has(t)).sort();
  const problems: string[] = [];
  for (const table of customerTables) {
    const column = DISTRIBUTION_COLUMN[table] ?? 'customer_id';
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
  const fks = (await client.query("SELECT conrelid::regclass::text AS table, conname FROM pg_constraint WHERE contype = 'f'")).rows;
  for (const fk of fks) problems.push(`${fk.table}: foreign key ${fk.conname}`);
  return { customerTables, problems };
}

describe('the PostgreSQL schema can be distributed by customer', () => {
  it('keys every customer table by customer and has no foreign keys', async () => {
    const { customerTables, problems } = await schemaProblems();
    expect(customerTables).toEqual(['customers', 'events', 'generation_ids', 'generations', 'grants', 'idempotency_keys', 'ledger_entries', 'members', 'purchases', 'spend_windows', 'subscriptions']);
    expect(problems).toEqual([]);
  });

  it('catches a table keyed without its customer, a unique key without it, and a foreign key', async () => {
    await client.query('CREATE TABLE sneaky (id text PRIMARY KEY, customer_id text NOT NULL REFERENCES customers (id))');
    await client.query('CREATE UNIQUE INDEX grants_sneaky ON grants (id)');
    try {
      const { problems } = await schemaProblems();
      expect(problems).toEqual(
        expect.arrayContaining([expect.stringMatching(/^sneaky: unique key sneaky_pkey/), expect.stringMatching(/^grants: unique key grants_sneaky/), expect.stringMatching(/^sneaky: foreign key/)]),
      );
    } finally {
      await client.query('DROP TABLE sneaky');
      await client.query('DROP INDEX grants_sneaky');
    }
  });
});
