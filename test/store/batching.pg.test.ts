import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClock } from '../../src/service/clock.js';
import type { ServiceContext } from '../../src/service/context.js';
import { putTool } from '../../src/service/catalog.js';
import { putCustomer } from '../../src/service/customers.js';
import { reserve } from '../../src/service/generations.js';
import { grantCredits } from '../../src/service/grants.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { createTestDatabase } from '../pg.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let a: PostgresStore;
let b: PostgresStore;
let ctxA: ServiceContext;
let ctxB: ServiceContext;

beforeAll(async () => {
  db = await createTestDatabase();
  a = new PostgresStore(db.url);
  b = new PostgresStore(db.url);
  await Promise.all([a.migrate(), b.migrate()]);
  const clock = new TestClock();
  ctxA = { store: a, clock };
  ctxB = { store: b, clock };
  await putTool(ctxA, 'one', { name: 'One', credits: 1 });
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  await db?.drop();
});

describe('per-customer batching on PostgreSQL', () => {
  it('applies concurrent writes to one customer together, far fewer calls than writes', async () => {
    await putCustomer(ctxA, 'hot', {});
    await grantCredits(ctxA, 'hot', { amount: 1000, source: 'bonus', reason: 't' });
    const before = a.writeStats();
    await Promise.all(Array.from({ length: 200 }, () => reserve(ctxA, { customerId: 'hot', toolId: 'one' })));
    expect(a.writeStats().writes - before.writes).toBe(200);
    expect(a.writeStats().commits - before.commits).toBeLessThan(50);
    expect((await a.readBalance('hot', clockNow())).reserved).toBe(200);
  });

  it('fails a refused write alone inside a batch', async () => {
    await putCustomer(ctxA, 'tight', {});
    await grantCredits(ctxA, 'tight', { amount: 7, source: 'bonus', reason: 't' });
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => reserve(ctxA, { id: `tight-${i}`, customerId: 'tight', toolId: 'one' })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(7);
    for (const r of results) if (r.status === 'rejected') expect(r.reason.code).toBe('insufficient_credits');
    expect((await a.audit()).problems).toEqual([]);
  });

  it('keeps exact totals when two stores (two processes) batch the same customer at once', async () => {
    await putCustomer(ctxA, 'shared', {});
    await grantCredits(ctxA, 'shared', { amount: 150, source: 'bonus', reason: 't' });
    const fire = (ctx: ServiceContext, side: string) =>
      Array.from({ length: 100 }, (_, i) => reserve(ctx, { id: `shared-${side}-${i}`, customerId: 'shared', toolId: 'one' }));
    const results = await Promise.allSettled([...fire(ctxA, 'a'), ...fire(ctxB, 'b')]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(150);
    expect(results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.code)).toEqual(Array(50).fill('insufficient_credits'));
    const balance = await b.readBalance('shared', clockNow());
    expect(balance.reserved).toBe(150);
    expect(balance.grants.reduce((s, g) => s + g.remaining, 0)).toBe(0);
    expect((await a.audit()).problems).toEqual([]);
  });
});

function clockNow(): number {
  return ctxA.clock.now();
}
