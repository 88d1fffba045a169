import { putTool } from '../src/service/catalog.js';
import { systemClock } from '../src/service/clock.js';
import type { ServiceContext } from '../src/service/context.js';
import { putCustomer } from '../src/service/customers.js';
import { complete, reserve } from '../src/service/generations.js';
import { grantCredits } from '../src/service/grants.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';

/** How many customers the in-process SQLite benches spread their lifecycles over. */
export const BENCH_CUSTOMERS = 100;

/**
 * A Purse in this process on its own SQLite file, as the in-process benches use
 * it: one tool costing 1 credit and {@link BENCH_CUSTOMERS} customers with
 * plenty of credits; `lifecycle(i)` reserves and completes one generation for
 * customer `i` (mod the count).
 */
export async function sqlitePurse(path: string): Promise<{ store: SqliteStore; ctx: ServiceContext; lifecycle: (i: number) => Promise<void> }> {
  const store = new SqliteStore(path);
  await store.migrate();
  const ctx: ServiceContext = { store, clock: systemClock };
  await putTool(ctx, 'bench-tool', { name: 'Bench', credits: 1 });
  for (let i = 0; i < BENCH_CUSTOMERS; i++) {
    await putCustomer(ctx, `c${i}`, {});
    await grantCredits(ctx, `c${i}`, { amount: 1_000_000_000, source: 'bonus', reason: 'bench' });
  }
  const lifecycle = async (i: number) => {
    const gen = await reserve(ctx, { customerId: `c${i % BENCH_CUSTOMERS}`, toolId: 'bench-tool' });
    await complete(ctx, gen.body.id, {});
  };
  return { store, ctx, lifecycle };
}
