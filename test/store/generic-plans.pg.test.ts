import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putTool } from '../../src/service/catalog.js';
import { systemClock } from '../../src/service/clock.js';
import type { ServiceContext } from '../../src/service/context.js';
import { putCustomer } from '../../src/service/customers.js';
import { complete, fail, reserve } from '../../src/service/generations.js';
import { grantCredits } from '../../src/service/grants.js';
import { SNAPSHOT_SQL } from '../../src/store/postgres/customer-batches.js';
import { CUSTOMER_TABLES, ROUTED_LOOKUPS } from '../../src/store/postgres/distribute.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { createTestDatabase } from '../pg.js';

/**
 * The write engine keeps one (generic) plan per statement instead of planning each
 * call for its values. That is safe only while every such plan reads each customer
 * table by its key: a generic plan made on an empty database is kept as the tables
 * grow, and one that scans a table whole would scan it on every write for good.
 * Checked here on a freshly migrated, empty database — the worst case.
 */
const KEYED = new Set<string>([...Object.keys(CUSTOMER_TABLES), ...Object.keys(ROUTED_LOOKUPS)]);

/** The customer and routed tables a plan reads whole. */
function scannedWhole(plan: string): string[] {
  return [...plan.matchAll(/Seq Scan on (\w+)/g)].map((m) => m[1]!).filter((t) => KEYED.has(t));
}

describe('generic plans of the write engine on an empty database', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    db = await createTestDatabase();
    const store = new PostgresStore(db.url);
    await store.migrate();
    await store.close();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('the snapshot reads every customer table by its key', async () => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query('SET plan_cache_mode = force_generic_plan');
      await client.query(`PREPARE snapshot(text, text[], text[], bigint, text[], text[], text[], bigint[], text[], integer) AS ${SNAPSHOT_SQL}`);
      const explained = await client.query(
        "EXPLAIN EXECUTE snapshot('u1', ARRAY['gen_1'], ARRAY['grt_1'], 0, ARRAY['generation:gen_1'], ARRAY['pro'], ARRAY['pur_1'], ARRAY[0, 1]::bigint[], ARRAY['m1'], 256)",
      );
      const plan = explained.rows.map((r) => r['QUERY PLAN']).join('\n');
      // The plan is the generic one (its parameters unbound), and it names the tables it reads.
      expect(plan).toMatch(/\$1/);
      expect(plan).toMatch(/on grants/);
      expect(scannedWhole(plan)).toEqual([]);
    } finally {
      await client.end();
    }
  });

  it("purse_apply's statements, and every other the write engine runs, read every customer table by its key", async () => {
    // auto_explain, loaded into each of the store's sessions, sends the plan of every
    // statement inside purse_apply to the client as a notice.
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    const name = new URL(db.url).pathname.slice(1);
    for (const setting of ["session_preload_libraries = 'auto_explain'", 'auto_explain.log_min_duration = 0', 'auto_explain.log_nested_statements = on', 'auto_explain.log_level = notice']) {
      await admin.query(`ALTER DATABASE ${name} SET ${setting}`);
    }
    await admin.end();
    const store = new PostgresStore(db.url);
    const plans: string[] = [];
    store.writePool.on('connect', (client) => client.on('notice', (n) => plans.push(n.message ?? '')));
    const ctx: ServiceContext = { store, clock: systemClock };
    try {
      await putTool(ctx, 'img', { name: 'Image', credits: 3 });
      await putCustomer(ctx, 'u1', {});
      await grantCredits(ctx, 'u1', { amount: 100, source: 'bonus', reason: 'test' });
      const a = await reserve(ctx, { customerId: 'u1', toolId: 'img', units: 2 });
      await complete(ctx, a.body.id, { units: 1 });
      const b = await reserve(ctx, { customerId: 'u1', toolId: 'img' });
      await fail(ctx, b.body.id, { reason: 'provider_error' });
    } finally {
      await store.close();
    }
    // Every plan the write engine's sessions ran: the snapshot, purse_apply and the statements inside it.
    const applied = plans.filter((p) => /Query Text/.test(p));
    // Every kind of row a reserve, a completion and a failure write was explained.
    for (const table of ['customers', 'grants', 'generations', 'ledger_entries', 'idempotency_keys', 'events']) {
      expect(applied.some((p) => new RegExp(`(?:on|into|Update on|Insert on) ${table}\\b`, 'i').test(p)), table).toBe(true);
    }
    expect(applied.flatMap(scannedWhole)).toEqual([]);
  });
});
