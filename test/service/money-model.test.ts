import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putTool } from '../../src/service/catalog.js';
import { TestClock } from '../../src/service/clock.js';
import type { ServiceContext } from '../../src/service/context.js';
import { getBalance, putCustomer } from '../../src/service/customers.js';
import { PurseError } from '../../src/service/errors.js';
import { complete, fail, refund, report, reserve } from '../../src/service/generations.js';
import { grantCredits, voidGrant } from '../../src/service/grants.js';
import { putPack, putPlan } from '../../src/service/plans.js';
import { buyPack, refundPurchase } from '../../src/service/purchases.js';
import { revenueByDay } from '../../src/service/reports.js';
import { cancelSubscription, changePlan } from '../../src/service/subscriptions.js';
import type { Grant, LedgerEntry } from '../../src/domain/types.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { testDatabase } from '../helpers.js';

/*
 * A property test of the books in money (Rule 19): random sequences of pack
 * purchases, subscriptions whose periods renew, spends (some completed with fewer
 * units), fails by every reason (one tool's policy keeps part of the cost),
 * results reported bad, timeouts, refunds of charged credits, purchase refunds, voids and
 * expiries, run against the real service and store. After every step, for every
 * currency: paid in = revenue + breakage + refunds + deferred to the minor unit,
 * what was paid in is exactly the prices of what was bought, and the credits
 * still balance. The prices are chosen so that no basis divides evenly.
 */

const PACKS = [
  { id: 'mm-3-usd', credits: 3, price: { amount: 1000, currency: 'usd' }, expiresInDays: null },
  { id: 'mm-7-usd', credits: 7, price: { amount: 999, currency: 'usd' }, expiresInDays: 1 },
  { id: 'mm-13-eur', credits: 13, price: { amount: 5, currency: 'eur' }, expiresInDays: null },
  { id: 'mm-1-eur', credits: 1, price: { amount: 1, currency: 'eur' }, expiresInDays: 2 },
];
const PLANS = [
  { id: 'mm-daily-usd', name: 'mm daily', creditsPerPeriod: 11, period: 'day' as const, price: { amount: 333, currency: 'usd' }, rollover: { max: 4 } },
  { id: 'mm-weekly-eur', name: 'mm weekly', creditsPerPeriod: 6, period: 'week' as const, price: { amount: 1001, currency: 'eur' } },
  { id: 'mm-free', name: 'mm free', creditsPerPeriod: 2, period: 'day' as const, price: { amount: 0, currency: 'usd' } },
];
const TOOLS = [
  { id: 'mm-one', credits: 1, refundPolicy: null },
  // Failures and reported results of this one give back part of the cost (Rule 18), so the books see partial charges and refunds.
  { id: 'mm-three', credits: 3, refundPolicy: { provider_error: 67, timeout: 33, safety_blocked: 0, user_canceled: 50, bad_result: 71, other: 90 } },
];
const HOLD_SECONDS = 600;
const FAILURE_REASONS = ['provider_error', 'timeout', 'safety_blocked', 'user_canceled', 'bad_result', 'other'];

interface Model {
  /** What the customer paid, per currency, by the model's own count of what it bought. */
  paid: Map<string, number>;
  gens: string[];
  purchases: string[];
}
interface Real {
  ctx: ServiceContext;
  clock: TestClock;
  customerId: string;
}

/** Runs a service call that the rules may refuse (too few credits, settled, not refundable); a refusal changes nothing. */
async function attempt<T>(call: () => Promise<T>): Promise<T | null> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof PurseError) return null;
    throw err;
  }
}

/** How many reports and partial failures refunded something, over every run: the histories must reach them. */
const reached = { reports: 0, partialFailures: 0 };

const add = (m: Map<string, number>, currency: string, amount: number) => m.set(currency, (m.get(currency) ?? 0) + amount);

class BuyCmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pack: number) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const pack = PACKS[this.pack]!;
    const bought = await buyPack(r.ctx, r.customerId, pack.id);
    expect(bought.body.status).toBe('paid');
    add(m.paid, pack.price.currency, pack.price.amount);
    m.purchases.push(bought.body.id);
  }
  toString = () => `buy(${PACKS[this.pack]!.id})`;
}

class SubscribeCmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly plan: number) {}
  check = () => true;
  async run(_m: Model, r: Real) {
    // Plan grants (renewals included) are paid in by the plan's price; checked against the grants in `agree`.
    await attempt(() => changePlan(r.ctx, r.customerId, PLANS[this.plan]!.id));
  }
  toString = () => `subscribe(${PLANS[this.plan]!.id})`;
}

class CancelCmd implements fc.AsyncCommand<Model, Real> {
  check = () => true;
  async run(_m: Model, r: Real) {
    await attempt(() => cancelSubscription(r.ctx, r.customerId));
  }
  toString = () => 'cancel()';
}

class BonusCmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly amount: number, readonly expiresInSeconds: number | null) {}
  check = () => true;
  async run(_m: Model, r: Real) {
    const expiresAt = this.expiresInSeconds === null ? null : r.clock.now() + this.expiresInSeconds * 1000;
    await grantCredits(r.ctx, r.customerId, { amount: this.amount, source: 'bonus', expiresAt, reason: 'model bonus' });
  }
  toString = () => `bonus(${this.amount}, ${this.expiresInSeconds}s)`;
}

class ReserveCmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly tool: number, readonly units: number) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const gen = await attempt(() => reserve(r.ctx, { customerId: r.customerId, toolId: TOOLS[this.tool]!.id, units: this.units }));
    if (gen) m.gens.push(gen.body.id);
  }
  toString = () => `reserve(${TOOLS[this.tool]!.id} × ${this.units})`;
}

/** Reserves and completes at once, so that many histories spend. */
class SpendCmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly tool: number, readonly units: number, readonly fewer: number) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const gen = await attempt(() => reserve(r.ctx, { customerId: r.customerId, toolId: TOOLS[this.tool]!.id, units: this.units }));
    if (!gen) return;
    m.gens.push(gen.body.id);
    await complete(r.ctx, gen.body.id, { units: Math.max(1, this.units - this.fewer) });
  }
  toString = () => `spend(${TOOLS[this.tool]!.id} × ${this.units}, -${this.fewer})`;
}

class CompleteCmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number, readonly fewer: number) {}
  check = (m: Readonly<Model>) => m.gens.length > 0;
  async run(m: Model, r: Real) {
    const id = m.gens[this.pick % m.gens.length]!;
    const gen = await r.ctx.store.getGeneration(id);
    await attempt(() => complete(r.ctx, id, { units: Math.max(1, gen!.units - this.fewer) }));
  }
  toString = () => `complete(#${this.pick}, -${this.fewer})`;
}

class FailCmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number, readonly reason: number) {}
  check = (m: Readonly<Model>) => m.gens.length > 0;
  async run(m: Model, r: Real) {
    const failed = await attempt(() => fail(r.ctx, m.gens[this.pick % m.gens.length]!, { reason: FAILURE_REASONS[this.reason % FAILURE_REASONS.length] }));
    if (failed && !failed.replayed && failed.body.charged > 0) reached.partialFailures++;
  }
  toString = () => `fail(#${this.pick}, ${FAILURE_REASONS[this.reason % FAILURE_REASONS.length]})`;
}

/** A completed generation's result reported bad: refunded per its tool's policy, once, within the window. */
class ReportCmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number) {}
  check = (m: Readonly<Model>) => m.gens.length > 0;
  async run(m: Model, r: Real) {
    if (await attempt(() => report(r.ctx, m.gens[this.pick % m.gens.length]!, { reason: 'bad_result' }))) reached.reports++;
  }
  toString = () => `report(#${this.pick})`;
}

class RefundCmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number, readonly amount: number | null) {}
  check = (m: Readonly<Model>) => m.gens.length > 0;
  async run(m: Model, r: Real) {
    await attempt(() => refund(r.ctx, m.gens[this.pick % m.gens.length]!, { reason: 'model refund', ...(this.amount === null ? {} : { amount: this.amount }) }));
  }
  toString = () => `refund(#${this.pick}, ${this.amount})`;
}

class RefundPurchaseCmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number) {}
  check = (m: Readonly<Model>) => m.purchases.length > 0;
  async run(m: Model, r: Real) {
    // Refunding twice is a no-op the second time: the books move once.
    await attempt(() => refundPurchase(r.ctx, m.purchases[this.pick % m.purchases.length]!, 'model purchase refund'));
  }
  toString = () => `refundPurchase(#${this.pick})`;
}

class VoidCmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number) {}
  check = () => true;
  async run(_m: Model, r: Real) {
    const grants = await r.ctx.store.listGrants(r.customerId);
    if (grants.length > 0) await voidGrant(r.ctx, grants[this.pick % grants.length]!.id, 'model void');
  }
  toString = () => `void(#${this.pick})`;
}

class AdvanceCmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly seconds: number) {}
  check = () => true;
  async run(_m: Model, r: Real) {
    await r.clock.set(r.clock.now() + this.seconds * 1000);
    // A read catches up with what time did: holds that ran out, periods that ended, grants that expired.
    await getBalance(r.ctx, r.customerId);
  }
  toString = () => `advance(${this.seconds}s)`;
}

async function ledgerOf(store: Store, customerId: string): Promise<LedgerEntry[]> {
  const entries: LedgerEntry[] = [];
  for (let before: string | undefined; ; ) {
    const page = await store.listLedger(customerId, { before, limit: 500 });
    entries.push(...page);
    if (page.length < 500) break;
    before = String(page[page.length - 1]!.id);
  }
  return entries;
}

/** The money identity per currency, from the ledger and the grants; and what was paid in, against the model. */
async function agree(m: Model, r: Real): Promise<void> {
  const grants = new Map((await r.ctx.store.listGrants(r.customerId)).map((g) => [g.id, g]));
  const entries = await ledgerOf(r.ctx.store, r.customerId);
  const books = new Map<string, { paidIn: number; revenue: number; breakage: number; refunds: number; deferred: number }>();
  const line = (c: string | null) => {
    const key = c ?? 'none';
    if (!books.has(key)) books.set(key, { paidIn: 0, revenue: 0, breakage: 0, refunds: 0, deferred: 0 });
    return books.get(key)!;
  };
  for (const e of entries) {
    const g = grants.get(e.grantId)!;
    const b = line(g.currency);
    if (e.type === 'grant') b.paidIn += e.money;
    else if (e.type === 'charge' || e.type === 'refund') b.revenue += e.money;
    else if (e.type === 'expire') b.breakage += e.money;
    else if (e.type === 'void') b[g.refunded ? 'refunds' : 'breakage'] += e.money;
    else expect(e.money).toBe(0);
  }
  let granted = 0;
  let remaining = 0;
  for (const g of grants.values()) {
    // Deferred counted the plain way: the paid credits not yet gone, at the grant's own rounding.
    line(g.currency).deferred += g.paid - Math.floor((g.paid * g.consumed) / g.amount);
    granted += g.amount;
    remaining += g.remaining;
    expect(g.consumed).toBeGreaterThanOrEqual(0);
    expect(g.consumed).toBeLessThanOrEqual(g.amount);
    if (g.source === 'plan') {
      const plan = PLANS.find((p) => g.reason!.startsWith(`${p.name}:`))!;
      expect({ paid: g.paid, currency: g.currency }).toEqual({ paid: plan.price.amount, currency: plan.price.currency });
    } else if (g.source === 'bonus') expect(g.paid).toBe(0);
  }
  for (const [currency, b] of books) {
    expect(b.paidIn, `paid in, ${currency}`).toBe(b.revenue + b.breakage + b.refunds + b.deferred);
    expect(b.deferred).toBeGreaterThanOrEqual(0);
  }
  // Paid in is what the model bought, plus the plan periods' prices.
  const planPaid = (currency: string) => [...grants.values()].filter((g) => g.source === 'plan' && g.currency === currency).reduce((s, g) => s + g.paid, 0);
  for (const currency of ['usd', 'eur']) {
    expect(books.get(currency)?.paidIn ?? 0).toBe((m.paid.get(currency) ?? 0) + planPaid(currency));
  }
  // Credits still balance: granted = remaining + reserved + spent + expired + voided.
  const sum = (type: string) => entries.filter((e) => e.type === type).reduce((s, e) => s + e.amount, 0);
  const reserved = entries.reduce((s, e) => s + e.reservedDelta, 0);
  expect(granted).toBe(remaining + reserved + sum('charge') - sum('refund') + sum('expire') + sum('void'));
}

const commands = [
  fc.integer({ min: 0, max: PACKS.length - 1 }).map((p) => new BuyCmd(p)),
  fc.integer({ min: 0, max: PLANS.length - 1 }).map((p) => new SubscribeCmd(p)),
  fc.constant(null).map(() => new CancelCmd()),
  fc.tuple(fc.integer({ min: 1, max: 20 }), fc.option(fc.integer({ min: 60, max: 200_000 }), { nil: null })).map(([a, e]) => new BonusCmd(a, e)),
  fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 1, max: 4 })).map(([t, u]) => new ReserveCmd(t, u)),
  fc.tuple(fc.nat(), fc.integer({ min: 0, max: 2 })).map(([p, f]) => new CompleteCmd(p, f)),
  fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 2 })).map(([t, u, f]) => new SpendCmd(t, u, f)),
  fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 2 })).map(([t, u, f]) => new SpendCmd(t, u, f)),
  fc.tuple(fc.nat(), fc.nat()).map(([p, r]) => new FailCmd(p, r)),
  fc.nat().map((p) => new ReportCmd(p)),
  fc.tuple(fc.nat(), fc.option(fc.integer({ min: 1, max: 5 }), { nil: null })).map(([p, a]) => new RefundCmd(p, a)),
  fc.nat().map((p) => new RefundPurchaseCmd(p)),
  fc.nat().map((p) => new VoidCmd(p)),
  fc.constantFrom(30, 700, 3_600, 40_000, 86_400, 200_000).map((s) => new AdvanceCmd(s)),
];

let dir: string;
let db: Awaited<ReturnType<typeof testDatabase>>;
let store: Store;
const START = Date.UTC(2030, 2, 1, 12);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'purse-money-'));
  db = await testDatabase(dir);
  store = await openStore(db.url);
  const ctx = { store, clock: new TestClock(START) };
  for (const t of TOOLS) await putTool(ctx, t.id, { name: t.id, credits: t.credits, holdSeconds: HOLD_SECONDS, refundPolicy: t.refundPolicy });
  for (const p of PACKS) await putPack(ctx, p.id, { name: p.id, credits: p.credits, price: p.price, expiresInDays: p.expiresInDays });
  for (const p of PLANS) await putPlan(ctx, p.id, p);
});
afterAll(async () => {
  await store?.close();
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the books in money against random histories', () => {
  it('keep paid in = revenue + breakage + refunds + deferred per currency, to the minor unit, after every step', async () => {
    let run = 0;
    let steps = 0;
    let last = START;
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 50, size: 'large' }), async (cmds) => {
        const clock = new TestClock(START);
        const real: Real = { ctx: { store, clock }, clock, customerId: `money-${run++}` };
        await putCustomer(real.ctx, real.customerId, {});
        const model: Model = { paid: new Map(), gens: [], purchases: [] };
        await fc.asyncModelRun(
          () => ({ model, real }),
          [...cmds].map((cmd) => ({
            check: (m: Readonly<Model>) => cmd.check(m),
            run: async (m: Model, r: Real) => {
              await cmd.run(m, r);
              await agree(m, r);
            },
            toString: () => cmd.toString(),
          })),
        );
        steps += [...cmds].length;
        last = Math.max(last, clock.now());
      }),
      { numRuns: Number(process.env.MONEY_RUNS ?? 150) },
    );
    console.log(`money model: ${steps} steps in ${run} runs; ${reached.reports} reports and ${reached.partialFailures} failures that kept credits`);
    expect(steps).toBeGreaterThan(500);
    expect(reached.reports).toBeGreaterThan(0);
    expect(reached.partialFailures).toBeGreaterThan(0);
    expect((await store.audit()).problems).toEqual([]);

    // The report over every day agrees with the grants of every customer, per currency.
    const everyone: Grant[] = [];
    for (let i = 0; i < run; i++) everyone.push(...(await store.listGrants(`money-${i}`)));
    const kinds = { expired: 0, refunded: 0, spent: 0 };
    for (const currency of ['usd', 'eur']) {
      const mine = everyone.filter((g) => g.currency === currency);
      const report = await revenueByDay({ store, clock: new TestClock(last) }, START - 86_400_000, last + 86_400_000, currency);
      const t = report.totals;
      expect(t.paidIn).toBe(mine.reduce((s, g) => s + g.paid, 0));
      expect(t.deferred).toBe(mine.reduce((s, g) => s + g.paid - Math.floor((g.paid * g.consumed) / g.amount), 0));
      expect(t.paidIn).toBe(t.revenue + t.breakage + t.refunds + t.deferred);
      kinds.expired += t.breakage;
      kinds.refunded += t.refunds + t.reversed;
      kinds.spent += t.revenue;
    }
    console.log(`money model moved: ${JSON.stringify(kinds)}`);
    // The runs did move money every way.
    expect(kinds.expired).toBeGreaterThan(0);
    expect(kinds.refunded).toBeGreaterThan(0);
    expect(kinds.spent).toBeGreaterThan(0);
  }, 300_000);
});
