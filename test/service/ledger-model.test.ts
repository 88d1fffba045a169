import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putTool } from '../../src/service/catalog.js';
import { TestClock } from '../../src/service/clock.js';
import type { ServiceContext } from '../../src/service/context.js';
import { getBalance, putCustomer } from '../../src/service/customers.js';
import { complete, extend, fail, refund, reserve } from '../../src/service/generations.js';
import { grantCredits, voidGrant } from '../../src/service/grants.js';
import { getLimits, putLimits } from '../../src/service/limits.js';
import type { Limits } from '../../src/domain/limits.js';
import { payPendingTopUps, setAutoTopUp } from '../../src/service/auto-top-up.js';
import { monthOf } from '../../src/domain/auto-top-up.js';
import { putPack } from '../../src/service/plans.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { testDatabase } from '../helpers.js';

/*
 * A model-based test: random sequences of every operation run against the real
 * service and store and against a small reference model written here from
 * PRODUCT.md's rules (not from src/domain). After every step the balance, the
 * reserved credits, the breakdown and the ledger must agree with the model.
 * Auto top-up runs in it too: the model buys once per crossing (below the
 * threshold at the end of a write, armed, none pending, under the limit) and
 * the real pending and paid top-ups must be exactly the model's.
 */

const TOOLS = [
  { id: 'm-cheap', credits: 1, refundPolicy: {} as Record<string, number> },
  { id: 'm-dear', credits: 3, refundPolicy: { timeout: 50, user_canceled: 34 } as Record<string, number> },
];
/** The built-in refund policy, written here from the README: percent of the cost a failure gives back. */
const DEFAULT_POLICY: Record<string, number> = { provider_error: 100, timeout: 100, safety_blocked: 0, user_canceled: 100, bad_result: 100, other: 100 };
/** How a failure is asked for: each reason of the closed set, free text (kept as `other`), and none (`other`). */
const FAIL_REASONS = ['provider_error', 'timeout', 'safety_blocked', 'user_canceled', 'bad_result', 'other', 'GPU fell over', undefined] as const;
const HOLD_SECONDS = 60;
/** The pack auto top-up buys in the model: 15 credits, no expiry. */
const TOP_UP_PACK = { id: 'm-top-up', credits: 15 };

interface MGrant {
  id: string;
  source: 'bonus' | 'adjustment' | 'addon';
  remaining: number;
  expiresAt: number | null;
  priority: number;
  /** When it was made; grants made in the same millisecond are taken in the order of their ids. */
  createdAt: number;
  voided: boolean;
}
interface MGen {
  id: string;
  toolId: string;
  units: number;
  unitCredits: number;
  status: 'reserved' | 'completed' | 'failed';
  parts: { grantId: string; amount: number }[];
  charged: number;
  refunded: number;
  holdUntil: number;
  /** Counted in the spend windows (limits were in force when it was reserved), and when. */
  counted: boolean;
  createdAt: number;
}
interface Model {
  now: number;
  grants: MGrant[];
  gens: MGen[];
  totals: { granted: number; spent: number; expired: number; voided: number };
  /** The customer's own limits, and what is counted per window: `scope:tool:window:start` → credits. */
  limits: Limits;
  used: Map<string, number>;
  /** Auto top-up as the model sees it; `byMonth` counts top-ups per UTC month (`YYYY-MM`), which the monthly limit caps. */
  topUp: { enabled: boolean; threshold: number; limit: number; armed: boolean; pending: boolean; made: number; byMonth: Map<string, number> };
}
interface Real {
  ctx: ServiceContext;
  clock: TestClock;
  customerId: string;
}

const usable = (m: Model) =>
  m.grants
    .filter((g) => !g.voided && g.remaining > 0 && (g.expiresAt === null || g.expiresAt > m.now))
    .sort((a, b) => (a.expiresAt ?? Infinity) - (b.expiresAt ?? Infinity) || a.priority - b.priority || a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
const available = (m: Model) => usable(m).reduce((s, g) => s + g.remaining, 0);
const reservedCredits = (m: Model) => m.gens.filter((g) => g.status === 'reserved').reduce((s, g) => s + g.unitCredits * g.units, 0);

const DAY = 86_400_000;
/** The UTC day and month `at` falls in, written here from the README (not from src/domain). */
function starts(at: number): { day: number; month: number } {
  const d = new Date(at);
  return { day: at - (at % DAY), month: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) };
}
const WINDOWS = ['day', 'month'] as const;
const usedKey = (scope: string, tool: string, window: 'day' | 'month', at: number) => `${scope}:${tool}:${window}:${starts(at)[window]}`;
const usedNow = (m: Model, scope: string, tool: string, window: 'day' | 'month') => m.used.get(usedKey(scope, tool, window, m.now)) ?? 0;
const limitsOn = (l: Limits) => l.daily !== undefined || l.monthly !== undefined || l.maxInFlight !== undefined || Object.keys(l.tools ?? {}).length > 0;

/** Credits of a counted reservation that come back stop counting, in its windows that are still current. */
function uncount(m: Model, gen: MGen, amount: number): void {
  if (!gen.counted || amount <= 0) return;
  if (starts(gen.createdAt).day !== starts(m.now).day) seen.crossed++;
  for (const [scope, tool] of [['customer', ''], ['tool', gen.toolId]]) {
    for (const w of WINDOWS) {
      if (starts(gen.createdAt)[w] !== starts(m.now)[w]) continue;
      const key = usedKey(scope!, tool!, w, gen.createdAt);
      m.used.set(key, Math.max(0, (m.used.get(key) ?? 0) - amount));
    }
  }
}

/** Credits going back to their grant: kept, or lost at once if the grant was voided or has expired. */
function giveBack(m: Model, parts: { grantId: string; amount: number }[]): void {
  for (const p of parts) {
    const g = m.grants.find((x) => x.id === p.grantId)!;
    if (g.voided) m.totals.voided += p.amount;
    else if (g.expiresAt !== null && g.expiresAt <= m.now) m.totals.expired += p.amount;
    else g.remaining += p.amount;
  }
}

/**
 * A failure for `reason`: floor(cost × percent / 100) goes back to the grants, the
 * rest is charged from the front of the reservation as a completion's charge is.
 */
function failGen(m: Model, gen: MGen, reason: string): void {
  const tool = TOOLS.find((t) => t.id === gen.toolId)!;
  const percent = tool.refundPolicy[reason] ?? DEFAULT_POLICY[reason]!;
  const cost = gen.unitCredits * gen.units;
  const returned = Math.floor((cost * percent) / 100);
  let kept = cost - returned;
  const back: MGen['parts'] = [];
  for (const p of gen.parts) {
    const take = Math.min(p.amount, kept);
    kept -= take;
    if (p.amount - take > 0) back.push({ grantId: p.grantId, amount: p.amount - take });
  }
  gen.status = 'failed';
  gen.charged = cost - returned;
  m.totals.spent += gen.charged;
  giveBack(m, back);
  uncount(m, gen, returned);
}

/** What time did: holds that ran out fail (reason `timeout`), grants past their expiry lose what is left. */
function catchUp(m: Model): void {
  for (const gen of m.gens) {
    if (gen.status === 'reserved' && gen.holdUntil <= m.now) failGen(m, gen, 'timeout');
  }
  for (const g of m.grants) {
    if (!g.voided && g.remaining > 0 && g.expiresAt !== null && g.expiresAt <= m.now) {
      m.totals.expired += g.remaining;
      g.remaining = 0;
    }
  }
}

/** Anything time has made due that a read catches up with a write (holds run out, live grants expired). */
const due = (m: Model) =>
  m.gens.some((g) => g.status === 'reserved' && g.holdUntil <= m.now) ||
  m.grants.some((g) => !g.voided && g.remaining > 0 && g.expiresAt !== null && g.expiresAt <= m.now);

/**
 * Auto top-up at the end of a write, from the rule in the issue: back at or
 * above the threshold arms it; below it, armed, with none pending and under the
 * month's limit, buys one and disarms. Idempotent for an unchanged balance, so it
 * may run after a command that wrote nothing.
 */
function topUpAtWriteEnd(m: Model): void {
  const t = m.topUp;
  if (!t.enabled) return;
  if (available(m) >= t.threshold) t.armed = true;
  else if (t.armed && !t.pending && (t.byMonth.get(monthOf(m.now)) ?? 0) < t.limit) {
    Object.assign(t, { armed: false, pending: true, made: t.made + 1 });
    t.byMonth.set(monthOf(m.now), (t.byMonth.get(monthOf(m.now)) ?? 0) + 1);
  }
}


async function codeOf(p: Promise<unknown>): Promise<string | null> {
  try {
    await p;
    return null;
  } catch (err) {
    return (err as { code?: string }).code ?? 'thrown';
  }
}

let seq = 0;
/** How often each limit refused, and how many reservations crossed into a new window before settling, so the run shows it tested them. */
const seen = { spend: 0, inFlight: 0, crossed: 0 };
let topUpsPaid = 0;
/**
 * Whether the command's real call committed a customer write (or something was
 * due, which the balance read then catches up with a write): auto top-up is
 * decided at the end of each write, and only then. Set by the commands.
 */
let wrote = false;

class GrantCmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly amount: number, readonly expiresIn: number | null, readonly priority: number, readonly source: 'bonus' | 'adjustment') {}
  check = () => true;
  async run(m: Model, r: Real) {
    catchUp(m);
    const expiresAt = this.expiresIn === null ? null : m.now + this.expiresIn * 1000;
    const res = await grantCredits(r.ctx, r.customerId, { amount: this.amount, source: this.source, expiresAt, priority: this.priority, reason: 'model' });
    m.grants.push({ id: res.body.id, source: this.source, remaining: this.amount, expiresAt, priority: this.priority, createdAt: m.now, voided: false });
    m.totals.granted += this.amount;
    wrote = true;
  }
  toString = () => `grant(${this.amount}, expiresIn=${this.expiresIn}, p=${this.priority})`;
}

class ReserveCmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly tool: number, readonly units: number) {}
  check = () => true;
  async run(m: Model, r: Real) {
    catchUp(m);
    const tool = TOOLS[this.tool]!;
    const cost = tool.credits * this.units;
    const id = `mg-${r.customerId}-${m.gens.length}-${seq++}`;
    const code = await codeOf(reserve(r.ctx, { id, customerId: r.customerId, toolId: tool.id, units: this.units }));
    // Limits first (Rule 16): the in-flight cap, the customer's day and month, the tool's day and month.
    const l = m.limits;
    if (l.maxInFlight !== undefined && m.gens.filter((g) => g.status === 'reserved').length + 1 > l.maxInFlight) {
      seen.inFlight++;
      return void expect(code).toBe('too_many_in_flight');
    }
    const caps: [string, string, 'day' | 'month', number | undefined][] = [
      ['customer', '', 'day', l.daily],
      ['customer', '', 'month', l.monthly],
      ['tool', tool.id, 'day', l.tools?.[tool.id]?.daily],
      ['tool', tool.id, 'month', l.tools?.[tool.id]?.monthly],
    ];
    if (caps.some(([scope, t, w, cap]) => cap !== undefined && usedNow(m, scope, t, w) + cost > cap)) {
      seen.spend++;
      return void expect(code).toBe('spend_limit_reached');
    }
    // Refused for want of credits, it still starts a top-up that is due (and only then writes).
    wrote = true;
    if (available(m) < cost) {
      expect(code).toBe('insufficient_credits');
      return;
    }
    expect(code).toBeNull();
    const parts: MGen['parts'] = [];
    let left = cost;
    for (const g of usable(m)) {
      if (left === 0) break;
      const take = Math.min(g.remaining, left);
      g.remaining -= take;
      left -= take;
      parts.push({ grantId: g.id, amount: take });
    }
    const counted = limitsOn(l);
    if (counted) {
      for (const [scope, t] of [['customer', ''], ['tool', tool.id]]) for (const w of WINDOWS) m.used.set(usedKey(scope!, t!, w, m.now), usedNow(m, scope!, t!, w) + cost);
    }
    for (const [scope, t, w, cap] of caps) if (cap !== undefined) expect(usedNow(m, scope, t, w)).toBeLessThanOrEqual(cap);
    m.gens.push({ id, toolId: tool.id, units: this.units, unitCredits: tool.credits, status: 'reserved', parts, charged: 0, refunded: 0, holdUntil: m.now + HOLD_SECONDS * 1000, counted, createdAt: m.now });
  }
  toString = () => `reserve(${TOOLS[this.tool]!.id}, ${this.units})`;
}

class ReserveAgainCmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number, readonly sameBody: boolean) {}
  check = (m: Readonly<Model>) => m.gens.length > 0;
  async run(m: Model, r: Real) {
    catchUp(m);
    const gen = m.gens[this.pick % m.gens.length]!;
    const units = this.sameBody ? gen.units : gen.units + 1;
    const code = await codeOf(reserve(r.ctx, { id: gen.id, customerId: r.customerId, toolId: gen.toolId, units }));
    expect(code).toBe(this.sameBody ? null : 'idempotency_conflict');
    // A replay is answered through a write of its own (which catches up and decides auto top-up); a conflict writes nothing.
    wrote ||= code === null;
  }
  toString = () => `reserveAgain(#${this.pick}, same=${this.sameBody})`;
}

class CompleteCmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number, readonly fewer: number) {}
  check = (m: Readonly<Model>) => m.gens.length > 0;
  async run(m: Model, r: Real) {
    catchUp(m);
    const gen = m.gens[this.pick % m.gens.length]!;
    const units = Math.max(0, gen.units - this.fewer);
    const code = await codeOf(complete(r.ctx, gen.id, { units }));
    if (gen.status === 'failed') return void expect(code).toBe('generation_settled');
    if (gen.status === 'completed') {
      expect(code === null || code === 'idempotency_conflict').toBe(true);
      wrote ||= code === null; // the repeat's answer is written like a replay
      return;
    }
    // A job that made nothing is a failure: completing with 0 units is refused and changes nothing.
    if (units === 0) return void expect(code).toBe('invalid_request');
    expect(code).toBeNull();
    wrote = true;
    let charge = gen.unitCredits * units;
    const back: MGen['parts'] = [];
    for (const p of gen.parts) {
      const take = Math.min(p.amount, charge);
      charge -= take;
      if (p.amount - take > 0) back.push({ grantId: p.grantId, amount: p.amount - take });
    }
    giveBack(m, back);
    uncount(m, gen, gen.unitCredits * (gen.units - units));
    gen.status = 'completed';
    gen.charged = gen.unitCredits * units;
    gen.units = units === 0 ? gen.units : gen.units;
    m.totals.spent += gen.charged;
    (gen as MGen & { chargedUnits?: number }).chargedUnits = units;
  }
  toString = () => `complete(#${this.pick}, fewer=${this.fewer})`;
}

class FailCmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number, readonly reason: (typeof FAIL_REASONS)[number]) {}
  check = (m: Readonly<Model>) => m.gens.length > 0;
  async run(m: Model, r: Real) {
    catchUp(m);
    const gen = m.gens[this.pick % m.gens.length]!;
    const code = await codeOf(fail(r.ctx, gen.id, this.reason === undefined ? {} : { reason: this.reason }));
    if (gen.status === 'completed') return void expect(code).toBe('generation_settled');
    if (gen.status === 'failed') {
      expect(code === null || code === 'idempotency_conflict').toBe(true);
      wrote ||= code === null; // the repeat's answer is written like a replay
      return;
    }
    expect(code).toBeNull();
    wrote = true;
    failGen(m, gen, this.reason !== undefined && this.reason in DEFAULT_POLICY ? this.reason : 'other');
  }
  toString = () => `fail(#${this.pick}, ${this.reason})`;
}

class ExtendCmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number, readonly seconds: number) {}
  check = (m: Readonly<Model>) => m.gens.length > 0;
  async run(m: Model, r: Real) {
    catchUp(m);
    const gen = m.gens[this.pick % m.gens.length]!;
    const code = await codeOf(extend(r.ctx, gen.id, this.seconds));
    if (gen.status !== 'reserved') return void expect(code).toBe('generation_settled');
    expect(code).toBeNull();
    wrote = true;
    gen.holdUntil = Math.max(gen.holdUntil, m.now + this.seconds * 1000);
  }
  toString = () => `extend(#${this.pick}, ${this.seconds}s)`;
}

class RefundCmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number, readonly amount: number | null) {}
  check = (m: Readonly<Model>) => m.gens.length > 0;
  async run(m: Model, r: Real) {
    catchUp(m);
    const gen = m.gens[this.pick % m.gens.length]!;
    const refundable = gen.charged - gen.refunded;
    const amount = this.amount ?? refundable;
    const code = await codeOf(refund(r.ctx, gen.id, { reason: 'model', ...(this.amount === null ? {} : { amount: this.amount }) }));
    // A failure that kept part of its cost (its refund policy) can be refunded like a completion.
    if (gen.status === 'reserved' || amount > refundable || amount === 0) return void expect(code).toBe('invalid_state');
    expect(code).toBeNull();
    wrote = true;
    // Refunds unwind the charge from its end.
    const charged: MGen['parts'] = [];
    let c = gen.charged;
    for (const p of gen.parts) {
      const take = Math.min(p.amount, c);
      c -= take;
      if (take > 0) charged.push({ grantId: p.grantId, amount: take });
    }
    let skip = gen.refunded;
    let left = amount;
    const back: MGen['parts'] = [];
    for (const p of [...charged].reverse()) {
      const skipped = Math.min(p.amount, skip);
      skip -= skipped;
      const take = Math.min(p.amount - skipped, left);
      left -= take;
      if (take > 0) back.push({ grantId: p.grantId, amount: take });
    }
    giveBack(m, back);
    uncount(m, gen, amount);
    gen.refunded += amount;
    m.totals.spent -= amount;
  }
  toString = () => `refund(#${this.pick}, ${this.amount ?? 'all'})`;
}

class VoidCmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number) {}
  check = (m: Readonly<Model>) => m.grants.length > 0;
  async run(m: Model, r: Real) {
    catchUp(m);
    const g = m.grants[this.pick % m.grants.length]!;
    await voidGrant(r.ctx, g.id, 'model');
    wrote = true; // a grant already void is written again as it is
    if (!g.voided) {
      m.totals.voided += g.remaining;
      g.remaining = 0;
      g.voided = true;
    }
  }
  toString = () => `void(#${this.pick})`;
}

class SetLimitsCmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly limits: Limits) {}
  check = () => true;
  async run(m: Model, r: Real) {
    catchUp(m);
    await putLimits(r.ctx, r.customerId, this.limits);
    m.limits = this.limits;
  }
  toString = () => `limits(${JSON.stringify(this.limits)})`;
}

class SetTopUpCmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly enabled: boolean, readonly threshold: number, readonly limit: number) {}
  check = () => true;
  async run(m: Model, r: Real) {
    catchUp(m);
    await setAutoTopUp(r.ctx, r.customerId, { enabled: this.enabled, threshold: this.threshold, packId: TOP_UP_PACK.id, cooldownSeconds: 0, monthlyLimit: { purchases: this.limit } });
    wrote = true;
    // Turned on from off, it starts armed.
    if (this.enabled && !m.topUp.enabled) m.topUp.armed = true;
    Object.assign(m.topUp, { enabled: this.enabled, threshold: this.threshold, limit: this.limit });
  }
  toString = () => `setTopUp(${this.enabled}, below ${this.threshold}, ≤${this.limit})`;
}

class PayTopUpsCmd implements fc.AsyncCommand<Model, Real> {
  check = () => true;
  async run(m: Model, r: Real) {
    catchUp(m);
    await payPendingTopUps(r.ctx, { onError: (_id, err) => { throw err; } });
    if (!m.topUp.pending) return;
    m.topUp.pending = false;
    wrote = true;
    const [paid] = (await r.ctx.store.listPurchases(r.customerId, { limit: 100 })).filter((p) => p.autoTopUp && p.status === 'paid' && !m.grants.some((g) => g.id === p.grantId));
    expect(paid).toBeDefined();
    m.grants.push({ id: paid!.grantId!, source: 'addon', remaining: TOP_UP_PACK.credits, expiresAt: null, priority: 0, createdAt: m.now, voided: false });
    m.totals.granted += TOP_UP_PACK.credits;
    topUpsPaid++;
  }
  toString = () => 'payTopUps()';
}

class AdvanceCmd implements fc.AsyncCommand<Model, Real> {
  /** Whether the time moved made something due, which the next balance read catches up with a write. */
  madeDue = false;
  constructor(readonly seconds: number) {}
  check = () => true;
  async run(m: Model, r: Real) {
    m.now += this.seconds * 1000;
    await r.clock.set(m.now);
    this.madeDue = due(m);
    if (this.madeDue) wrote = true;
    catchUp(m);
  }
  toString = () => `advance(${this.seconds}s)`;
}

/** After every command: the real balance, breakdown and ledger equal the model's. */
async function agree(m: Model, r: Real, store: Store): Promise<void> {
  catchUp(m);
  const balance = await getBalance(r.ctx, r.customerId);
  expect(balance.available).toBe(available(m));
  expect(balance.reserved).toBe(reservedCredits(m));
  const lines: { source: string; available: number; expiresAt: number | null }[] = [];
  for (const g of usable(m)) {
    const line = lines.find((l) => l.source === g.source && l.expiresAt === g.expiresAt);
    if (line) line.available += g.remaining;
    else lines.push({ source: g.source, available: g.remaining, expiresAt: g.expiresAt });
  }
  expect(balance.breakdown).toEqual(lines);
  // The ledger, replayed, gives the same totals; nothing is ever negative.
  const entries: import('../../src/domain/types.js').LedgerEntry[] = [];
  for (let before: string | undefined; ; ) {
    const page = await store.listLedger(r.customerId, { before, limit: 500 });
    entries.push(...page);
    if (page.length < 500) break;
    before = String(page[page.length - 1]!.id);
  }
  const sum = (type: string) => entries.filter((e) => e.type === type).reduce((s, e) => s + e.amount, 0);
  expect(sum('grant')).toBe(m.totals.granted);
  expect(sum('charge') - sum('refund')).toBe(m.totals.spent);
  expect(sum('expire')).toBe(m.totals.expired);
  expect(sum('void')).toBe(m.totals.voided);
  expect(entries.reduce((s, e) => s + e.reservedDelta, 0)).toBe(reservedCredits(m));
  const remainingFromLedger = entries.reduce((s, e) => s + e.availableDelta, 0);
  const remainingInModel = m.grants.reduce((s, g) => s + g.remaining, 0);
  expect(remainingFromLedger).toBe(remainingInModel);
  expect(m.totals.granted).toBe(remainingInModel + reservedCredits(m) + m.totals.spent + m.totals.expired + m.totals.voided);
  for (const g of m.grants) expect(g.remaining).toBeGreaterThanOrEqual(0);
  // The limits as the API reports them: what each window counted, and the holds open.
  const limits = await getLimits(r.ctx, r.customerId);
  expect(limits.inFlight).toBe(m.gens.filter((g) => g.status === 'reserved').length);
  expect({ day: limits.used.day, month: limits.used.month }).toEqual({ day: usedNow(m, 'customer', '', 'day'), month: usedNow(m, 'customer', '', 'month') });
  for (const t of TOOLS) expect(limits.used.tools[t.id] ?? { day: 0, month: 0 }).toEqual({ day: usedNow(m, 'tool', t.id, 'day'), month: usedNow(m, 'tool', t.id, 'month') });
  // Auto top-up: as many bought as the model bought (never two for one crossing), the one pending when the model has one.
  const topUps = (await store.listPurchases(r.customerId, { limit: 100 })).filter((p) => p.autoTopUp);
  expect(topUps).toHaveLength(m.topUp.made);
  expect(topUps.filter((p) => p.status === 'pending')).toHaveLength(m.topUp.pending ? 1 : 0);
  expect(new Set(topUps.map((p) => p.id)).size).toBe(topUps.length);
}

const commands = [
  fc.tuple(fc.integer({ min: 1, max: 40 }), fc.option(fc.integer({ min: 1, max: 200 }), { nil: null }), fc.integer({ min: -1, max: 1 }), fc.constantFrom('bonus' as const, 'adjustment' as const)).map(
    ([a, e, p, s]) => new GrantCmd(a, e, p, s),
  ),
  fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 1, max: 4 })).map(([t, u]) => new ReserveCmd(t, u)),
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 4 })).map(([t, u]) => new ReserveCmd(t % 2, u)),
  fc.tuple(fc.nat(), fc.boolean()).map(([p, s]) => new ReserveAgainCmd(p, s)),
  fc.tuple(fc.nat(), fc.integer({ min: 0, max: 2 })).map(([p, f]) => new CompleteCmd(p, f)),
  fc.tuple(fc.nat(), fc.constantFrom(...FAIL_REASONS)).map(([p, reason]) => new FailCmd(p, reason)),
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 120 })).map(([p, s]) => new ExtendCmd(p, s)),
  fc.tuple(fc.nat(), fc.option(fc.integer({ min: 1, max: 6 }), { nil: null })).map(([p, a]) => new RefundCmd(p, a)),
  fc.nat().map((p) => new VoidCmd(p)),
  fc.integer({ min: 1, max: 150 }).map((s) => new AdvanceCmd(s)),
  fc
    .record(
      {
        daily: fc.integer({ min: 2, max: 30 }),
        monthly: fc.integer({ min: 4, max: 60 }),
        maxInFlight: fc.integer({ min: 1, max: 4 }),
        tools: fc.dictionary(fc.constantFrom(...TOOLS.map((t) => t.id)), fc.record({ daily: fc.integer({ min: 1, max: 20 }), monthly: fc.integer({ min: 3, max: 40 }) }, { requiredKeys: [] }), { maxKeys: 2 }),
      },
      { requiredKeys: [] },
    )
    .map((l) => new SetLimitsCmd(l)),
  fc.tuple(fc.boolean(), fc.boolean(), fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 4 })).map(([on, twice, t, l]) => new SetTopUpCmd(on || twice, t, l)),
  fc.constant(null).map(() => new PayTopUpsCmd()),
];

let dir: string;
let db: Awaited<ReturnType<typeof testDatabase>>;
let store: Store;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'purse-model-'));
  db = await testDatabase(dir);
  store = await openStore(db.url);
  const ctx = { store, clock: new TestClock(Date.UTC(2030, 0, 1)) };
  for (const t of TOOLS) await putTool(ctx, t.id, { name: t.id, credits: t.credits, holdSeconds: HOLD_SECONDS, refundPolicy: t.refundPolicy });
  await putPack(ctx, TOP_UP_PACK.id, { name: 'model top-up', credits: TOP_UP_PACK.credits, price: { amount: 100, currency: 'usd' } });
});
afterAll(async () => {
  await store?.close();
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the ledger against a reference model', () => {
  it('agrees on balances, breakdowns and ledger sums over thousands of random steps', async () => {
    let steps = 0;
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 60, size: 'large' }), async (cmds) => {
        // Three minutes before a new day and a new month, so runs cross both windows.
        const start = Date.UTC(2030, 0, 31, 23, 57);
        const clock = new TestClock(start);
        const real: Real = { ctx: { store, clock }, clock, customerId: `model-${run++}-${seq++}` };
        await putCustomer(real.ctx, real.customerId, {});
        const model: Model = { now: start, grants: [], gens: [], totals: { granted: 0, spent: 0, expired: 0, voided: 0 }, limits: {}, used: new Map(),
          topUp: { enabled: false, threshold: 0, limit: 0, armed: true, pending: false, made: 0, byMonth: new Map() } };
        await fc.asyncModelRun(() => ({ model, real }), [...cmds].map((c) => wrap(c)));
        steps += [...cmds].length;
      }),
      { numRuns: Number(process.env.MODEL_RUNS ?? 150) },
    );
    console.log(`ledger model: ${steps} steps in ${run} runs; limits refused ${seen.spend} (spend) and ${seen.inFlight} (in flight); ${seen.crossed} give-backs crossed a day; ${topUpsPaid} top-ups paid`);
    expect(steps).toBeGreaterThan(2000);
    expect(seen.spend).toBeGreaterThan(0);
    expect(seen.inFlight).toBeGreaterThan(0);
    expect(seen.crossed).toBeGreaterThan(0);
    expect(topUpsPaid).toBeGreaterThan(20);
    expect((await store.audit()).problems).toEqual([]);
  }, 180_000);
});

/** Runs a command, then checks agreement. */
function wrap(cmd: fc.AsyncCommand<Model, Real>): fc.AsyncCommand<Model, Real> {
  return {
    check: (m) => cmd.check(m),
    run: async (m, r) => {
      // Auto top-up is decided as a write ends: the command's own, or the balance read's that catches up with what was due.
      wrote = due(m);
      await cmd.run(m, r);
      if (wrote) {
        catchUp(m);
        topUpAtWriteEnd(m);
      }
      await agree(m, r, r.ctx.store);
    },
    toString: () => cmd.toString(),
  };
}
