import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putTool } from '../../src/service/catalog.js';
import { systemClock } from '../../src/service/clock.js';
import type { ServiceContext } from '../../src/service/context.js';
import { getBalance, putCustomer } from '../../src/service/customers.js';
import { complete, getGeneration, reserve } from '../../src/service/generations.js';
import { grantCredits } from '../../src/service/grants.js';
import { oneDatabase, type WriteRoutes } from '../../src/store/postgres/customer-batches.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { createTestDatabase } from '../pg.js';

/**
 * Where a new generation id's row is, as the Citus write mode sees it: on another
 * node than the customer's (claimed before the write) or on the customer's (written
 * by purse_apply, one row, the customer's own earlier claim taken as its own).
 */
const MODES = [
  { mode: 'claimed before the write', onCustomerNode: false },
  { mode: 'written by purse_apply on the customer’s node', onCustomerNode: true },
] as const;

/** The store in its Citus write mode on a plain database. */
class ClaimingStore extends PostgresStore {
  onCustomerNode = false;
  protected override distributed(): Promise<boolean> {
    return Promise.resolve(true);
  }
  protected override async writeRoutes(): Promise<WriteRoutes> {
    return { ...oneDatabase(this.pool, true), onCustomerNode: () => this.onCustomerNode };
  }
}

/**
 * On Citus a new generation's id is claimed for its customer in its own
 * transaction (its row is on the id's shard), then the customer's write goes
 * alone. A claim whose write never comes is an orphan of that customer: it may
 * still use the id; to anyone else the id is taken, as a written one is.
 */
describe.each(MODES)('generation ids $mode (Citus write mode)', ({ onCustomerNode }) => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let store: ClaimingStore;
  let ctx: ServiceContext;
  /** Set: every purse_apply call fails, as if the process died after the claim. */
  let crashing = false;

  beforeAll(async () => {
    db = await createTestDatabase({ distributed: false });
    store = new ClaimingStore(db.url);
    store.onCustomerNode = onCustomerNode;
    await store.migrate();
    ctx = { store, clock: systemClock };
    await putTool(ctx, 'img', { name: 'Image', credits: 5 });
    for (const id of ['alice', 'bob']) {
      await putCustomer(ctx, id, {});
      await grantCredits(ctx, id, { amount: 100, source: 'bonus', reason: 'test' });
    }
    const query = store.pool.query.bind(store.pool) as (...args: unknown[]) => Promise<unknown>;
    (store.pool as { query: unknown }).query = (...args: unknown[]) => {
      if (crashing && (args[0] as { name?: string }).name === 'purse_apply') return Promise.reject(new Error('crashed before the write'));
      return query(...args);
    };
  });
  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  const owners = async (id: string) => (await store.pool.query('SELECT customer_id FROM generation_ids WHERE id = $1', [id])).rows.map((r) => r.customer_id);
  const generationRows = async (id: string) => Number((await store.pool.query('SELECT count(*) AS n FROM generations WHERE id = $1', [id])).rows[0].n);
  const ledgerRows = async (customerId: string) => Number((await store.pool.query('SELECT count(*) AS n FROM ledger_entries WHERE customer_id = $1', [customerId])).rows[0].n);

  it('claims the id once, for its customer', async () => {
    const gen = await reserve(ctx, { id: 'g-1', customerId: 'alice', toolId: 'img' });
    expect(gen.statusCode).toBe(201);
    expect(await owners('g-1')).toEqual(['alice']);
    await complete(ctx, 'g-1', {});
    expect((await getBalance(ctx, 'alice')).available).toBe(95);
  });

  it('an orphan claim of the same customer does not stop its reservation', async () => {
    await store.pool.query("INSERT INTO generation_ids (id, customer_id) VALUES ('g-orphan', 'alice')");
    const gen = await reserve(ctx, { id: 'g-orphan', customerId: 'alice', toolId: 'img' });
    expect(gen.statusCode).toBe(201);
    expect(await owners('g-orphan')).toEqual(['alice']);
    expect(await generationRows('g-orphan')).toBe(1);
  });

  it('another customer’s claimed id is refused with 409 and writes nothing, on kept state and on a snapshot', async () => {
    await store.pool.query("INSERT INTO generation_ids (id, customer_id) VALUES ('g-bobs', 'bob')");
    const ledgerBefore = await ledgerRows('alice');
    const available = (await getBalance(ctx, 'alice')).available;
    // alice's state is kept (she was just written): the first try is decided on it, then on a snapshot.
    await expect(reserve(ctx, { id: 'g-bobs', customerId: 'alice', toolId: 'img' })).rejects.toMatchObject({ code: 'idempotency_conflict' });
    await expect(reserve(ctx, { id: 'g-bobs', customerId: 'alice', toolId: 'img' })).rejects.toMatchObject({ code: 'idempotency_conflict' });
    expect(await owners('g-bobs')).toEqual(['bob']);
    expect(await generationRows('g-bobs')).toBe(0);
    expect(await ledgerRows('alice')).toBe(ledgerBefore);
    expect((await getBalance(ctx, 'alice')).available).toBe(available);
    // The owner may still use it.
    expect((await reserve(ctx, { id: 'g-bobs', customerId: 'bob', toolId: 'img' })).statusCode).toBe(201);
  });

  it('another customer’s written generation id is refused with 409', async () => {
    await reserve(ctx, { id: 'g-bob-2', customerId: 'bob', toolId: 'img' });
    await expect(reserve(ctx, { id: 'g-bob-2', customerId: 'alice', toolId: 'img' })).rejects.toMatchObject({ code: 'idempotency_conflict' });
    expect(await owners('g-bob-2')).toEqual(['bob']);
  });

  it('two customers reserving one new id at once (their claims in one statement): one gets it, the other is refused', async () => {
    const tries = await Promise.allSettled([
      reserve(ctx, { id: 'g-race', customerId: 'alice', toolId: 'img' }),
      reserve(ctx, { id: 'g-race', customerId: 'bob', toolId: 'img' }),
      ...['alice', 'bob'].map((customerId, i) => reserve(ctx, { id: `g-race-${i}`, customerId, toolId: 'img' })),
    ]);
    const [a, b] = tries;
    expect([a, b].filter((t) => t.status === 'fulfilled')).toHaveLength(1);
    expect([a, b].filter((t) => t.status === 'rejected').map((t) => (t as PromiseRejectedResult).reason.code)).toEqual(['idempotency_conflict']);
    expect(await owners('g-race')).toHaveLength(1);
    expect(await generationRows('g-race')).toBe(1);
    expect(tries.slice(2).every((t) => t.status === 'fulfilled')).toBe(true);
  });

  it('a crash between the claim and the write loses nothing: the id finds no generation, and the retry reserves', async () => {
    const available = (await getBalance(ctx, 'alice')).available;
    crashing = true;
    try {
      await expect(reserve(ctx, { id: 'g-crash', customerId: 'alice', toolId: 'img' })).rejects.toThrow('crashed before the write');
    } finally {
      crashing = false;
    }
    // Claimed before the write, the claim stays (an orphan of alice's); written by purse_apply, nothing does.
    expect(await owners('g-crash')).toEqual(onCustomerNode ? [] : ['alice']);
    await expect(getGeneration(ctx, 'g-crash')).rejects.toMatchObject({ code: 'not_found' });
    expect((await getBalance(ctx, 'alice')).available).toBe(available);
    const gen = await reserve(ctx, { id: 'g-crash', customerId: 'alice', toolId: 'img' });
    expect(gen.statusCode).toBe(201);
    await complete(ctx, 'g-crash', {});
    expect((await getBalance(ctx, 'alice')).available).toBe(available - 5);
    expect((await store.audit()).problems).toEqual([]);
  });
});
