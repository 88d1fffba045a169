import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { putTool } from '../../src/service/catalog.js';
import { systemClock } from '../../src/service/clock.js';
import type { ServiceContext } from '../../src/service/context.js';
import { getBalance, putCustomer } from '../../src/service/customers.js';
import { complete, fail, reserve } from '../../src/service/generations.js';
import { grantCredits } from '../../src/service/grants.js';
import { putPack, putPlan } from '../../src/service/plans.js';
import { buyPack } from '../../src/service/purchases.js';
import { changePlan } from '../../src/service/subscriptions.js';
import type { Store } from '../../src/store/store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

/**
 * A store may decide a write more than once and keep only the last decision
 * (PostgreSQL does when another process wrote first, or when its kept state
 * cannot confirm an answer). So a decision must depend on its snapshot alone,
 * never on what an earlier, discarded decision changed. Here every write is
 * decided twice on the same snapshot and only the second is written: the
 * results must be those of deciding once. (A pack bought with the sandbox
 * once came out paid but with no credits: the first decision had marked the
 * purchase object, shared by both, paid.)
 */
let dir: string;
let store: SqliteStore;
let ctx: ServiceContext;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'purse-decide-again-'));
  store = new SqliteStore(join(dir, 'purse.db'));
  await store.migrate();
  const twice: Store = Object.create(store, {
    transact: {
      value: (customerId: string, load: Parameters<Store['transact']>[1], decide: Parameters<Store['transact']>[2]) =>
        store.transact(customerId, load, (snapshot) => {
          try {
            decide(snapshot);
          } catch {
            // A refusal the first time is a refusal the second time too.
          }
          return decide(snapshot);
        }),
    },
  });
  ctx = { store: twice, clock: systemClock };
  await putTool(ctx, 'img', { name: 'Image', credits: 5 });
  await putPack(ctx, 'pack50', { name: '50 credits', credits: 50, price: { amount: 500, currency: 'usd' } });
  await putPlan(ctx, 'basic', { name: 'Basic', creditsPerPeriod: 100, period: 'month', price: { amount: 1000, currency: 'usd' } });
  await putCustomer(ctx, 'u1', {});
});

afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

it('buys a pack, grants, subscribes, reserves, completes and fails as when decided once', async () => {
  const bought = await buyPack(ctx, 'u1', 'pack50', 'k1');
  expect(bought.body.status).toBe('paid');
  expect(bought.body.grantId).not.toBeNull();
  expect((await getBalance(ctx, 'u1')).available).toBe(50);
  await grantCredits(ctx, 'u1', { amount: 10, source: 'bonus', reason: 'test' });
  await changePlan(ctx, 'u1', 'basic');
  expect((await getBalance(ctx, 'u1')).available).toBe(160);
  const a = await reserve(ctx, { customerId: 'u1', toolId: 'img', units: 2 });
  await complete(ctx, a.body.id, {});
  const b = await reserve(ctx, { customerId: 'u1', toolId: 'img' });
  await fail(ctx, b.body.id, { reason: 'provider_error' });
  expect((await getBalance(ctx, 'u1')).available).toBe(150);
  // The repeat of the purchase replays it: no second pack.
  const again = await buyPack(ctx, 'u1', 'pack50', 'k1');
  expect(again.replayed).toBe(true);
  expect((await getBalance(ctx, 'u1')).available).toBe(150);
});
