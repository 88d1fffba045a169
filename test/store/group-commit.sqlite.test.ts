import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClock } from '../../src/service/clock.js';
import type { ServiceContext } from '../../src/service/context.js';
import { putCustomer } from '../../src/service/customers.js';
import { putTool } from '../../src/service/catalog.js';
import { grantCredits } from '../../src/service/grants.js';
import { reserve } from '../../src/service/generations.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { noChanges } from '../../src/store/store.js';
import type { Grant } from '../../src/domain/types.js';

let dir: string;
let store: SqliteStore;
let ctx: ServiceContext;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'purse-group-'));
  store = new SqliteStore(join(dir, 'purse.db'));
  await store.migrate();
  ctx = { store, clock: new TestClock() };
  await putTool(ctx, 'one', { name: 'One', credits: 1 });
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('group commit on SQLite', () => {
  it('commits writes that arrive together in one transaction', async () => {
    await putCustomer(ctx, 'g1', {});
    await grantCredits(ctx, 'g1', { amount: 1000, source: 'bonus', reason: 't' });
    const before = store.writeStats();
    await Promise.all(Array.from({ length: 100 }, () => reserve(ctx, { customerId: 'g1', toolId: 'one' })));
    const commits = store.writeStats().commits - before.commits;
    expect(store.writeStats().writes - before.writes).toBe(100);
    expect(commits).toBeLessThan(10);
    expect((await store.readBalance('g1', ctx.clock.now())).reserved).toBe(100);
  });

  it('fails a failing write alone and keeps its neighbours', async () => {
    await putCustomer(ctx, 'g2', {});
    await grantCredits(ctx, 'g2', { amount: 5, source: 'bonus', reason: 't' });
    // Ten writes in one group: five fit, five are refused for want of credits, one names a customer that does not exist.
    const results = await Promise.allSettled([
      ...Array.from({ length: 10 }, (_, i) => reserve(ctx, { id: `g2-${i}`, customerId: 'g2', toolId: 'one' })),
      reserve(ctx, { customerId: 'nobody', toolId: 'one' }),
    ]);
    const ok = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.code);
    expect(ok).toHaveLength(5);
    expect(refused.sort()).toEqual(['insufficient_credits', 'insufficient_credits', 'insufficient_credits', 'insufficient_credits', 'insufficient_credits', 'not_found']);
    expect((await store.readBalance('g2', ctx.clock.now())).reserved).toBe(5);
    expect((await store.listGenerations('g2', { limit: 100 })).length).toBe(5);
    expect((await store.audit()).problems).toEqual([]);
  });

  it('undoes every row of a write that fails halfway, and only that write', async () => {
    await putCustomer(ctx, 'g3', {});
    const grant = (id: string, amount: number): Grant => ({
      id, customerId: 'g3', source: 'bonus', amount, remaining: amount, expiresAt: null, priority: 0, createdAt: 1, voidedAt: null, reason: null, origin: null, paid: 0, currency: null, consumed: 0, refunded: false,
    });
    const write = (grants: Grant[]) =>
      store.transact('g3', { now: ctx.clock.now() }, () => {
        const changes = noChanges();
        changes.insertGrants.push(...grants);
        return { changes, result: grants.map((g) => g.id) };
      });
    // The middle write's second row breaks a CHECK (amount > 0) after its first row was written.
    const results = await Promise.allSettled([write([grant('a', 1)]), write([grant('b', 1), grant('c', 0)]), write([grant('d', 1)])]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((await store.listGrants('g3')).map((g) => g.id).sort()).toEqual(['a', 'd']);
  });

  it("waits for another connection's write lock without blocking the event loop, then commits what joined meanwhile", async () => {
    await putCustomer(ctx, 'g4', {});
    await grantCredits(ctx, 'g4', { amount: 100, source: 'bonus', reason: 't' });
    // Another connection (the webhook thread, say) holds the write lock for 300 ms. In this same
    // thread: were the group to wait in SQLite's busy handler, the timer that releases the lock
    // could never run, and the writes would fail after the busy timeout.
    const other = new Database(join(dir, 'purse.db'));
    other.exec('BEGIN IMMEDIATE');
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 10);
    setTimeout(() => other.exec('COMMIT'), 300);
    const before = store.writeStats();
    const started = Date.now();
    try {
      const first = reserve(ctx, { customerId: 'g4', toolId: 'one' });
      await new Promise((r) => setTimeout(r, 100));
      const later = Array.from({ length: 5 }, () => reserve(ctx, { customerId: 'g4', toolId: 'one' }));
      await Promise.all([first, ...later]);
    } finally {
      clearInterval(ticker);
      other.close();
    }
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(ticks).toBeGreaterThanOrEqual(10);
    // The first write waited at the front; the later ones joined its group.
    expect(store.writeStats().commits - before.commits).toBe(1);
    expect((await store.readBalance('g4', ctx.clock.now())).reserved).toBe(6);
  });
});
