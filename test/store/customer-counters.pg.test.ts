import { afterAll, beforeAll, expect, it } from 'vitest';
import { putTool } from '../../src/service/catalog.js';
import { systemClock } from '../../src/service/clock.js';
import type { ServiceContext } from '../../src/service/context.js';
import { putCustomer } from '../../src/service/customers.js';
import { complete, reserve } from '../../src/service/generations.js';
import { grantCredits } from '../../src/service/grants.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { createTestDatabase } from '../pg.js';

/**
 * purse_apply numbers a write's ledger entries and events after the last ones kept on the
 * customer's row (migration 0016), moved in the statement that checks the version, rather
 * than after the largest id and seq read from the tables.
 */
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let store: PostgresStore;
let ctx: ServiceContext;
beforeAll(async () => {
  db = await createTestDatabase({ distributed: false });
  store = new PostgresStore(db.url);
  await store.migrate();
  ctx = { store, clock: systemClock };
  await putTool(ctx, 'img', { name: 'Image', credits: 5 });
  await putCustomer(ctx, 'alice', {});
  await grantCredits(ctx, 'alice', { amount: 100, source: 'bonus', reason: 'test' });
});
afterAll(async () => {
  await store?.close();
  await db?.drop();
});

const q = async (sql: string) => (await store.pool.query(sql)).rows;
const counters = async () => (await q("SELECT last_ledger_id, last_event_seq FROM customers WHERE id = 'alice'"))[0];
const largest = async () => ({
  last_ledger_id: (await q("SELECT max(id) AS n FROM ledger_entries WHERE customer_id = 'alice'"))[0].n,
  last_event_seq: (await q("SELECT max(seq) AS n FROM events WHERE customer_id = 'alice'"))[0].n,
});

it('keeps the last ledger id and event seq on the customer, and numbers new ones after them', async () => {
  await reserve(ctx, { id: 'g-1', customerId: 'alice', toolId: 'img' });
  await complete(ctx, 'g-1', {});
  expect(await counters()).toEqual(await largest());
  // Numbered from the customer's counters, not from the tables: moved ahead, the next ones follow them.
  await q("UPDATE customers SET last_ledger_id = last_ledger_id + 100, last_event_seq = last_event_seq + 50, version = version + 1 WHERE id = 'alice'");
  const ahead = await counters();
  await reserve(ctx, { id: 'g-2', customerId: 'alice', toolId: 'img' });
  await complete(ctx, 'g-2', {});
  const ids = (await q("SELECT id FROM ledger_entries WHERE customer_id = 'alice' AND generation_id = 'g-2' ORDER BY id")).map((r) => r.id);
  expect(ids).toEqual([ahead.last_ledger_id + 1, ahead.last_ledger_id + 2]);
  expect(await counters()).toEqual(await largest());
  expect((await largest()).last_event_seq).toBeGreaterThan(ahead.last_event_seq);
});

it('the migration sets the counters from the entries and events already written', async () => {
  await q('ALTER TABLE customers DROP COLUMN last_ledger_id, DROP COLUMN last_event_seq');
  await q('DELETE FROM schema_migrations WHERE version = 16');
  await store.migrate();
  expect(await counters()).toEqual(await largest());
});
