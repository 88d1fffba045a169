import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putTool } from '../../src/service/catalog.js';
import { systemClock } from '../../src/service/clock.js';
import type { ServiceContext } from '../../src/service/context.js';
import { getBalance, putCustomer } from '../../src/service/customers.js';
import { complete, reserve } from '../../src/service/generations.js';
import { grantCredits } from '../../src/service/grants.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { createTestDatabase } from '../pg.js';

/**
 * The shared commit: writes decided on kept state for different customers, made
 * while other calls are out, go to PostgreSQL together in one purse_apply_all call.
 * Each is written as if alone; one whose customer moved on is decided again on
 * what the database holds; an error in one fails the call and each is then
 * written alone, so only the one at fault fails. Two stores on one database play
 * two processes.
 */
describe('the shared commit on PostgreSQL', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let a: PostgresStore;
  let b: PostgresStore;
  let ctxA: ServiceContext;
  let ctxB: ServiceContext;
  /** How many writes each purse_apply_all call carried, as sent by any store here. */
  const sharedCalls: number[] = [];
  const query = pg.Pool.prototype.query;

  beforeAll(async () => {
    pg.Pool.prototype.query = function (this: pg.Pool, ...args: unknown[]) {
      const config = args[0] as { name?: string; values?: unknown[] };
      if (config?.name === 'purse_apply_all') sharedCalls.push((JSON.parse(config.values![0] as string) as unknown[]).length);
      return (query as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof query;
    db = await createTestDatabase();
    a = new PostgresStore(db.url);
    await a.migrate();
    b = new PostgresStore(db.url);
    ctxA = { store: a, clock: systemClock };
    ctxB = { store: b, clock: systemClock };
    await putTool(ctxA, 'img', { name: 'Image', credits: 3 });
  });
  afterAll(async () => {
    pg.Pool.prototype.query = query;
    await a?.close();
    await b?.close();
    await db?.drop();
  });

  const customers = Array.from({ length: 40 }, (_, i) => `s${i}`);
  const available = async (customerId: string) => (await getBalance(ctxA, customerId)).available;

  async function setUp(prefix: string): Promise<string[]> {
    const ids = customers.map((c) => `${prefix}${c}`);
    for (const id of ids) {
      await putCustomer(ctxA, id, {});
      await grantCredits(ctxA, id, { amount: 100, source: 'bonus', reason: 'test' });
      await reserve(ctxA, { customerId: id, toolId: 'img' }); // a keeps each, and the tool
    }
    return ids;
  }

  it("writes many customers' concurrent lifecycles in shared calls, each to the credit", async () => {
    const ids = await setUp('x');
    sharedCalls.length = 0;
    await Promise.all(ids.map(async (id) => complete(ctxA, (await reserve(ctxA, { customerId: id, toolId: 'img' })).body.id, {})));
    expect(sharedCalls.length).toBeGreaterThan(0);
    expect(Math.max(...sharedCalls)).toBeGreaterThan(1);
    for (const id of ids) expect(await available(id)).toBe(100 - 3 - 3);
  });

  it('a customer another process wrote is decided again, and the others in its call are written', async () => {
    const ids = await setUp('y');
    // b spends 93 of ys7's 97 (4 left); a's kept state of it still shows 97.
    for (let i = 0; i < 31; i++) await reserve(ctxB, { customerId: 'ys7', toolId: 'img' });
    sharedCalls.length = 0;
    const results = await Promise.allSettled(ids.flatMap((id) => [reserve(ctxA, { customerId: id, toolId: 'img' }), reserve(ctxA, { customerId: id, toolId: 'img' })]));
    expect(Math.max(...sharedCalls)).toBeGreaterThan(1);
    const ys7 = results.slice(2 * ids.indexOf('ys7'), 2 * ids.indexOf('ys7') + 2);
    // Decided again on what the database holds: one of the two fits, the other is refused.
    expect(ys7.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(ys7.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'insufficient_credits' } });
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
    expect(await available('ys7')).toBe(1);
    for (const id of ids.filter((x) => x !== 'ys7')) expect(await available(id)).toBe(100 - 3 - 6);
  });

  it('a generation id another customer holds fails its own write only, not the call it shared', async () => {
    const ids = await setUp('z');
    await reserve(ctxB, { customerId: 'zs0', toolId: 'img', id: 'gen_shared_taken' });
    sharedCalls.length = 0;
    const results = await Promise.allSettled(ids.map((id) => reserve(ctxA, { customerId: id, toolId: 'img', ...(id === 'zs3' ? { id: 'gen_shared_taken' } : {}) })));
    expect(Math.max(...sharedCalls)).toBeGreaterThan(1);
    const outcome = new Map(ids.map((id, i) => [id, results[i]!]));
    expect(outcome.get('zs3')).toMatchObject({ status: 'rejected', reason: { code: 'idempotency_conflict' } });
    for (const id of ids.filter((x) => x !== 'zs3')) expect(outcome.get(id)?.status).toBe('fulfilled');
    expect(await available('zs3')).toBe(97);
    expect(await available('zs1')).toBe(94);
    expect(await available('zs0')).toBe(91);
  });

  it('two processes sharing calls over the same customers lose and invent nothing', async () => {
    const ids = await setUp('w');
    for (const id of ids) await reserve(ctxB, { customerId: id, toolId: 'img' }); // b keeps each too
    const results = await Promise.allSettled(
      [ctxA, ctxB].flatMap((ctx) => ids.flatMap((id) => [1, 2, 3].map(() => reserve(ctx, { customerId: id, toolId: 'img' })))),
    );
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    for (const id of ids) expect(await available(id)).toBe(100 - 3 - 3 - 6 * 3);
  });
});

