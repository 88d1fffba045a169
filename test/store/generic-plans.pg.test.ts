import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putTool } from '../../src/service/catalog.js';
import { systemClock } from '../../src/service/clock.js';
import type { ServiceContext } from '../../src/service/context.js';
import { putCustomer } from '../../src/service/customers.js';
import { complete, fail, reserve } from '../../src/service/generations.js';
import { grantCredits } from '../../src/service/grants.js';
import { CUSTOMER_TABLES, ROUTED_LOOKUPS } from '../../src/store/postgres/distribute.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { createTestDatabase } from '../pg.js';

/**
 * purse_apply's statements keep one (generic) plan each instead of being planned
 * for each call's values. That is safe only while every such plan reads each
 * customer table by its key: a generic plan made on an empty database is kept as
 * the tables grow, and one that scans a table whole would scan it on every write
 * for good. Checked here on a freshly migrated, empty database — the worst case.
 */
const KEYED = new Set<string>([...Object.keys(CUSTOMER_TABLES), ...Object.keys(ROUTED_LOOKUPS)]);

/** The customer and routed tables a plan reads whole. */
function scannedWhole(plan: string): string[] {
  return [...plan.matchAll(/Seq Scan on (\w+)/g)].map((m) => m[1]!).filter((t) => KEYED.has(t));
}

describe("generic plans of purse_apply's statements on an empty database", () => {
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

  it("purse_apply's statements read every customer table by its key", async () => {
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
    store.pool.on('connect', (client) => client.on('notice', (n) => plans.push(n.message ?? '')));
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
    // The statements inside purse_apply (each names its arguments), with the plan each kept.
    const applied = plans.filter((p) => /Query Text:[\s\S]*\b(p_customer|p_changes)\b/.test(p));
    // Every kind of row a reserve, a completion and a failure write was explained.
    for (const table of ['customers', 'grants', 'generations', 'ledger_entries', 'idempotency_keys', 'events']) {
      expect(applied.some((p) => new RegExp(`(?:on|into|Update on|Insert on) ${table}\\b`, 'i').test(p)), table).toBe(true);
    }
    expect(applied.flatMap(scannedWhole)).toEqual([]);
  });
});
