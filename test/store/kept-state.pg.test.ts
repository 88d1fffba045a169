import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putTool } from '../../src/service/catalog.js';
import { putAlerts } from '../../src/service/alerts.js';
import { systemClock } from '../../src/service/clock.js';
import type { ServiceContext } from '../../src/service/context.js';
import { getBalance, putCustomer } from '../../src/service/customers.js';
import { complete, reserve } from '../../src/service/generations.js';
import { grantCredits } from '../../src/service/grants.js';
import { putLimits } from '../../src/service/limits.js';
import { putPlan } from '../../src/service/plans.js';
import { changePlan } from '../../src/service/subscriptions.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { createTestDatabase } from '../pg.js';

/**
 * The write engine keeps each customer's state after it writes it, and decides the
 * next write on it with no snapshot read (one round trip). Here two stores — two
 * pools, two kept states, as two processes have — write the same customers: after
 * one writes, the other's kept state is stale, and every write it decides on it
 * must be noticed and decided again on what the database holds, whichever way the
 * stale state was wrong (more credits, fewer credits, an older plan, no limits).
 */
describe('kept customer state on PostgreSQL', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let a: PostgresStore;
  let b: PostgresStore;
  let ctxA: ServiceContext;
  let ctxB: ServiceContext;

  beforeAll(async () => {
    db = await createTestDatabase();
    a = new PostgresStore(db.url);
    await a.migrate();
    b = new PostgresStore(db.url);
    ctxA = { store: a, clock: systemClock };
    ctxB = { store: b, clock: systemClock };
    await putTool(ctxA, 'img', { name: 'Image', credits: 5 });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await db?.drop();
  });

  /** Reserves and completes on `ctx`; the second write of each is decided on the kept state. */
  async function lifecycle(ctx: ServiceContext, customerId: string) {
    const gen = await reserve(ctx, { customerId, toolId: 'img' });
    return complete(ctx, gen.body.id, {});
  }

  const kept = (s: PostgresStore) => s.writeStats().fromKeptState ?? 0;
  const available = async (customerId: string) => (await getBalance(ctxA, customerId)).available;

  it('decides on the kept state while no one else writes, in one round trip', async () => {
    await putCustomer(ctxA, 'solo', {});
    await grantCredits(ctxA, 'solo', { amount: 50, source: 'bonus', reason: 'test' });
    await lifecycle(ctxA, 'solo'); // its reservation reads the tool, which this process had not read yet
    const before = kept(a);
    for (let i = 0; i < 3; i++) await lifecycle(ctxA, 'solo');
    expect(kept(a) - before).toBe(6);
    expect(await available('solo')).toBe(30);
  });

  it('a stale state that shows more credits than there are does not let a reservation through', async () => {
    await putCustomer(ctxA, 'u1', {});
    await grantCredits(ctxA, 'u1', { amount: 10, source: 'bonus', reason: 'test' });
    await lifecycle(ctxA, 'u1'); // a keeps u1 with 5 left
    await lifecycle(ctxB, 'u1'); // b spends them: a's state is stale
    const before = kept(a);
    await expect(reserve(ctxA, { customerId: 'u1', toolId: 'img' })).rejects.toMatchObject({ code: 'insufficient_credits' });
    expect(kept(a)).toBe(before);
    expect(await available('u1')).toBe(0);
  });

  it('a stale state that shows fewer credits than there are does not refuse a reservation', async () => {
    await grantCredits(ctxB, 'u1', { amount: 20, source: 'bonus', reason: 'test' }); // a still keeps u1 with 0 left
    const gen = await reserve(ctxA, { customerId: 'u1', toolId: 'img' });
    expect(gen.statusCode).toBe(201);
    expect(await available('u1')).toBe(15);
    // Decided afresh, the state is kept again: the next write needs no snapshot.
    const before = kept(a);
    await complete(ctxA, gen.body.id, {});
    expect(kept(a) - before).toBe(1);
  });

  it('limits set outside the write engine are in force at once', async () => {
    await putCustomer(ctxA, 'u2', {});
    await grantCredits(ctxA, 'u2', { amount: 100, source: 'bonus', reason: 'test' });
    await lifecycle(ctxA, 'u2');
    await putLimits(ctxB, 'u2', { daily: 3 });
    await expect(reserve(ctxA, { customerId: 'u2', toolId: 'img' })).rejects.toMatchObject({ code: 'spend_limit_reached' });
  });

  it("an operator's change to the customer's plan is in force at once", async () => {
    await putPlan(ctxA, 'basic', { name: 'Basic', creditsPerPeriod: 100, period: 'month', price: { amount: 0, currency: 'usd' } });
    await putCustomer(ctxA, 'u3', {});
    await changePlan(ctxA, 'u3', 'basic');
    await lifecycle(ctxA, 'u3');
    await lifecycle(ctxA, 'u3'); // kept, with the plan as it was
    // A plan change touches no customer row, so no version moves: purse_apply compares the plan's row.
    await putPlan(ctxB, 'basic', { name: 'Basic', creditsPerPeriod: 100, period: 'month', price: { amount: 0, currency: 'usd' }, limits: { daily: 3 } });
    await expect(reserve(ctxA, { customerId: 'u3', toolId: 'img' })).rejects.toMatchObject({ code: 'spend_limit_reached' });
  });

  it('alert thresholds set by another process are in force at once', async () => {
    await putCustomer(ctxA, 'u5', {});
    await grantCredits(ctxA, 'u5', { amount: 100, source: 'bonus', reason: 'test' });
    await lifecycle(ctxA, 'u5'); // 95 left, kept with no thresholds
    await putAlerts(ctxB, 'u5', { lowBalance: [92] });
    await lifecycle(ctxA, 'u5'); // 90 left: crosses 92
    const events = await a.listEvents({ customerId: 'u5', type: 'credits.low' }, { limit: 10 });
    expect(events.map((e) => (e.data as { threshold?: number }).threshold)).toEqual([92]);
  });

  it('a generation reserved by another process is completed, not reported missing', async () => {
    await putCustomer(ctxA, 'u4', {});
    await grantCredits(ctxA, 'u4', { amount: 100, source: 'bonus', reason: 'test' });
    await lifecycle(ctxA, 'u4');
    const theirs = await reserve(ctxB, { customerId: 'u4', toolId: 'img' });
    const done = await complete(ctxA, theirs.body.id, {});
    expect(done.body.status).toBe('completed');
    expect(await available('u4')).toBe(90);
  });

  it('a reservation repeated with the id of one another process made answers the first one', async () => {
    const first = await reserve(ctxB, { customerId: 'u4', toolId: 'img', id: 'gen_repeat_1' });
    await lifecycle(ctxA, 'u4'); // a keeps u4, without gen_repeat_1's idempotency record
    const again = await reserve(ctxA, { customerId: 'u4', toolId: 'img', id: 'gen_repeat_1' });
    expect(again.replayed).toBe(true);
    expect(again.body).toEqual(first.body);
  });

  it("a tool's price changed by another process is the one charged, at once", async () => {
    await putTool(ctxA, 'vid', { name: 'Video', credits: 5 });
    await putCustomer(ctxA, 'u6', {});
    await grantCredits(ctxA, 'u6', { amount: 100, source: 'bonus', reason: 'test' });
    await reserve(ctxA, { customerId: 'u6', toolId: 'vid' }); // a keeps u6 and vid at 5
    const decidedBefore = kept(a);
    expect((await reserve(ctxA, { customerId: 'u6', toolId: 'vid' })).body.cost).toBe(5);
    expect(kept(a) - decidedBefore).toBe(1); // the kept tool and customer decided it

    await putTool(ctxB, 'vid', { name: 'Video', credits: 7 });
    expect((await reserve(ctxA, { customerId: 'u6', toolId: 'vid' })).body.cost).toBe(7);
    expect(await available('u6')).toBe(100 - 5 - 5 - 7);
    await putTool(ctxB, 'vid', { name: 'Video', credits: 7, active: false });
    await expect(reserve(ctxA, { customerId: 'u6', toolId: 'vid' })).rejects.toMatchObject({ code: 'not_found' });
    expect(await available('u6')).toBe(83);
  });
});
