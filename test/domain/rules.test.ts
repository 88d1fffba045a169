import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { summarizeBalance } from '../../src/domain/balance.js';
import { availableCredits, consumptionOrder, planReservation } from '../../src/domain/consumption.js';
import { dueExpiries, isHoldDue } from '../../src/domain/expiry.js';
import { entryDeltas, replayLedger } from '../../src/domain/ledger.js';
import { isUpgrade, periodBounds, periodIndexAt, periodStart, rolloverCredits } from '../../src/domain/periods.js';
import { generationCost, MAX_GENERATION_COST } from '../../src/domain/pricing.js';
import { planRefund, planReturn, splitForCharge } from '../../src/domain/settlement.js';
import type { EntryType, Grant } from '../../src/domain/types.js';

/*
 * Property tests for PRODUCT.md's Rules 2–6 and 13 on the pure domain, each
 * against a small independent statement of the rule.
 */

const NOW = Date.UTC(2030, 5, 1);

const grantArb = (i: number) =>
  fc.record({
    remaining: fc.integer({ min: 0, max: 50 }),
    expiresIn: fc.option(fc.integer({ min: -5, max: 5 }), { nil: null }),
    priority: fc.integer({ min: -2, max: 2 }),
    createdAt: fc.integer({ min: 0, max: 3 }),
    voided: fc.boolean(),
    source: fc.constantFrom('plan' as const, 'addon' as const, 'bonus' as const, 'adjustment' as const),
  }).map(
    (g): Grant => ({
      id: `g${String(i).padStart(2, '0')}`,
      customerId: 'c',
      source: g.source,
      amount: 100,
      remaining: g.remaining,
      expiresAt: g.expiresIn === null ? null : NOW + g.expiresIn * 1000,
      priority: g.priority,
      createdAt: g.createdAt,
      voidedAt: g.voided ? NOW - 1 : null,
      reason: null,
      origin: null,
      paid: 0,
      currency: null,
      consumed: 0,
      refunded: false,
    }),
  );
const grantsArb = fc.integer({ min: 0, max: 8 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => grantArb(i))));

const usable = (g: Grant) => g.voidedAt === null && g.remaining > 0 && (g.expiresAt === null || g.expiresAt > NOW);

/** Rule 2 as written: does a come before b? */
function before(a: Grant, b: Grant): boolean {
  if (a.expiresAt !== b.expiresAt) {
    if (a.expiresAt === null) return false;
    if (b.expiresAt === null) return true;
    return a.expiresAt < b.expiresAt;
  }
  if (a.priority !== b.priority) return a.priority < b.priority;
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt;
  return a.id < b.id;
}

describe('Rule 2: consumption order', () => {
  it('orders soonest expiry first, never-expiring last, then lower priority, then oldest', () => {
    fc.assert(
      fc.property(grantsArb, (grants) => {
        const sorted = [...grants].sort(consumptionOrder);
        for (let i = 0; i + 1 < sorted.length; i++) expect(before(sorted[i + 1]!, sorted[i]!)).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });

  it('never takes from a later grant while an earlier usable one has credits left', () => {
    fc.assert(
      fc.property(grantsArb, fc.integer({ min: 1, max: 200 }), (grants, cost) => {
        const plan = planReservation(grants, cost, NOW);
        if (!plan.ok) return;
        const byId = new Map(grants.map((g) => [g.id, g]));
        const taken = new Map(plan.allocations.map((a) => [a.grantId, a.amount]));
        // The allocations are listed in the order they are spent, so a partial charge takes the soonest-expiring.
        for (let i = 0; i + 1 < plan.allocations.length; i++) {
          expect(before(byId.get(plan.allocations[i]!.grantId)!, byId.get(plan.allocations[i + 1]!.grantId)!)).toBe(true);
        }
        for (const a of plan.allocations) {
          const g = byId.get(a.grantId)!;
          for (const other of grants.filter(usable)) {
            if (before(other, g)) expect(taken.get(other.id)).toBe(other.remaining);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('never uses an expired, voided or empty grant', () => {
    fc.assert(
      fc.property(grantsArb, fc.integer({ min: 1, max: 200 }), (grants, cost) => {
        const plan = planReservation(grants, cost, NOW);
        if (!plan.ok) return;
        for (const a of plan.allocations) expect(usable(grants.find((g) => g.id === a.grantId)!)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('Rule 3: cost', () => {
  it('is credits × units, or null past the limit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000 }), fc.integer({ min: 1, max: 1_000_000 }), (credits, units) => {
        const expected = credits * units <= MAX_GENERATION_COST ? credits * units : null;
        expect(generationCost(credits, units)).toBe(expected);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('Rule 4: reserve all or nothing', () => {
  it('allocates exactly the cost within each grant, or refuses with what is available', () => {
    fc.assert(
      fc.property(grantsArb, fc.integer({ min: 0, max: 200 }), (grants, cost) => {
        const available = grants.filter(usable).reduce((s, g) => s + g.remaining, 0);
        expect(availableCredits(grants, NOW)).toBe(available);
        const plan = planReservation(grants, cost, NOW);
        if (available < cost) {
          expect(plan).toEqual({ ok: false, available, required: cost });
          return;
        }
        expect(plan.ok).toBe(true);
        if (!plan.ok) return;
        expect(plan.allocations.reduce((s, a) => s + a.amount, 0)).toBe(cost);
        for (const a of plan.allocations) {
          expect(a.amount).toBeGreaterThan(0);
          expect(a.amount).toBeLessThanOrEqual(grants.find((g) => g.id === a.grantId)!.remaining);
        }
        expect(new Set(plan.allocations.map((a) => a.grantId)).size).toBe(plan.allocations.length);
      }),
      { numRuns: 1000 },
    );
  });
});

const allocationsArb = fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 5 }).map((xs) => xs.map((amount, i) => ({ grantId: `g${i}`, amount })));

describe('Rule 5: complete charges the reservation or less', () => {
  it('splits the reservation into charged (from the front) and given back, per grant', () => {
    fc.assert(
      fc.property(allocationsArb, fc.nat(), (allocations, pick) => {
        const total = allocations.reduce((s, a) => s + a.amount, 0);
        const charge = pick % (total + 1);
        const { charged, released } = splitForCharge(allocations, charge);
        expect(charged.reduce((s, a) => s + a.amount, 0)).toBe(charge);
        for (const a of allocations) {
          const c = charged.find((x) => x.grantId === a.grantId)?.amount ?? 0;
          const r = released.find((x) => x.grantId === a.grantId)?.amount ?? 0;
          expect(c + r).toBe(a.amount);
        }
        // From the front: once a grant gives back anything, every later grant is charged nothing.
        const firstBack = allocations.findIndex((a) => released.some((r) => r.grantId === a.grantId));
        if (firstBack >= 0) for (const a of allocations.slice(firstBack + 1)) expect(charged.some((c) => c.grantId === a.grantId)).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses to charge more than was reserved', () => {
    fc.assert(
      fc.property(allocationsArb, fc.integer({ min: 1, max: 10 }), (allocations, extra) => {
        const total = allocations.reduce((s, a) => s + a.amount, 0);
        expect(() => splitForCharge(allocations, total + extra)).toThrow(RangeError);
      }),
    );
  });
});

describe('Rule 6 and 11: credits go back to their own grant', () => {
  it('returns each part to its grant; lapses exactly when the grant expired or was voided', () => {
    fc.assert(
      fc.property(grantsArb, (grants) => {
        const parts = grants.map((g, i) => ({ grantId: g.id, amount: i + 1 }));
        const outcomes = planReturn(parts, new Map(grants.map((g) => [g.id, g])), NOW);
        outcomes.forEach((o, i) => {
          const g = grants[i]!;
          expect(o.grantId).toBe(g.id);
          expect(o.amount).toBe(i + 1);
          expect(o.lapse).toBe(g.voidedAt !== null ? 'voided' : g.expiresAt !== null && g.expiresAt <= NOW ? 'expired' : null);
        });
      }),
      { numRuns: 500 },
    );
  });

  it('never refunds more than was charged, and partial refunds add up to a full one', () => {
    fc.assert(
      fc.property(allocationsArb, fc.array(fc.integer({ min: 1, max: 15 }), { maxLength: 6 }), (charged, steps) => {
        const total = charged.reduce((s, a) => s + a.amount, 0);
        const back = new Map<string, number>();
        let done = 0;
        for (const step of steps) {
          if (done + step > total) {
            expect(() => planRefund(charged, done, step)).toThrow(RangeError);
            continue;
          }
          for (const p of planRefund(charged, done, step)) back.set(p.grantId, (back.get(p.grantId) ?? 0) + p.amount);
          done += step;
        }
        const full = new Map(planRefund(charged, 0, done).map((p) => [p.grantId, p.amount]));
        expect(Object.fromEntries(back)).toEqual(Object.fromEntries(full));
        for (const a of charged) expect(back.get(a.grantId) ?? 0).toBeLessThanOrEqual(a.amount);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('Rules 7 and 8: time', () => {
  it('fails a hold exactly when it has run out, and expires exactly the grants past their time', () => {
    fc.assert(
      fc.property(grantsArb, fc.integer({ min: -5, max: 5 }), (grants, offset) => {
        expect(isHoldDue({ status: 'reserved', holdUntil: NOW + offset }, NOW)).toBe(offset <= 0);
        expect(isHoldDue({ status: 'completed', holdUntil: NOW - 1 }, NOW)).toBe(false);
        const due = new Set(dueExpiries(grants, NOW).map((g) => g.id));
        for (const g of grants) expect(due.has(g.id)).toBe(g.voidedAt === null && g.remaining > 0 && g.expiresAt !== null && g.expiresAt <= NOW);
      }),
    );
  });

  it('counts periods from the anchor, clamped at month ends, without gaps', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('2000-01-01'), max: new Date('2090-01-01'), noInvalidDate: true }),
        fc.constantFrom('day' as const, 'week' as const, 'month' as const, 'year' as const),
        fc.integer({ min: 0, max: 40 }),
        (date, period, index) => {
          const anchor = date.getTime();
          const { start, end } = periodBounds(anchor, period, index);
          expect(end).toBeGreaterThan(start);
          expect(periodStart(anchor, period, index + 1)).toBe(end);
          expect(periodIndexAt(anchor, period, start)).toBe(index);
          expect(periodIndexAt(anchor, period, end - 1)).toBe(index);
          if (period === 'month') {
            const d = new Date(start);
            const a = new Date(anchor);
            const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
            expect(d.getUTCDate()).toBe(Math.min(a.getUTCDate(), last));
          }
        },
      ),
      { numRuns: 1000 },
    );
    expect(new Date(periodStart(Date.UTC(2026, 0, 31), 'month', 1)).toISOString()).toBe('2026-02-28T00:00:00.000Z');
    expect(new Date(periodStart(Date.UTC(2028, 0, 31), 'month', 1)).toISOString()).toBe('2028-02-29T00:00:00.000Z');
    expect(new Date(periodStart(Date.UTC(2026, 0, 31), 'month', 2)).toISOString()).toBe('2026-03-31T00:00:00.000Z');
  });

  it('carries over unused plan credits up to the cap, and calls more credits a day an upgrade', () => {
    fc.assert(
      fc.property(fc.nat(1000), fc.nat(1000), (unused, cap) => {
        expect(rolloverCredits(unused, cap)).toBe(Math.min(unused, cap));
      }),
    );
    const plan = (creditsPerPeriod: number, period: 'month' | 'year', amount: number) => ({ creditsPerPeriod, period, price: { amount } });
    expect(isUpgrade(plan(500, 'month', 2000), plan(2000, 'month', 6000))).toBe(true);
    expect(isUpgrade(plan(2000, 'month', 6000), plan(500, 'month', 2000))).toBe(false);
    expect(isUpgrade(plan(500, 'month', 2000), plan(6000, 'year', 20000))).toBe(false);
    expect(isUpgrade(plan(500, 'month', 2000), plan(500, 'month', 3000))).toBe(true);
  });
});

describe('Rule 13: the ledger accounts for every credit', () => {
  it('granted = available + reserved + spent + expired + voided, whatever the entries', () => {
    const entryArb = fc.record({ type: fc.constantFrom<EntryType>('grant', 'reserve', 'release', 'charge', 'refund', 'expire', 'void'), amount: fc.integer({ min: 1, max: 50 }), grant: fc.integer({ min: 0, max: 3 }) });
    fc.assert(
      fc.property(fc.array(entryArb, { maxLength: 60 }), (raw) => {
        const entries = raw.map((e) => ({ type: e.type, grantId: `g${e.grant}`, amount: e.amount, ...entryDeltas(e.type, e.amount) }));
        const t = replayLedger(entries);
        const available = [...t.remaining.values()].reduce((s, v) => s + v, 0);
        expect(t.granted).toBe(available + t.reserved + t.spent + t.expired + t.voided);
        const sum = (type: EntryType) => raw.filter((e) => e.type === type).reduce((s, e) => s + e.amount, 0);
        expect(t.reserved).toBe(sum('reserve') - sum('release') - sum('charge'));
        expect(t.spent).toBe(sum('charge') - sum('refund'));
      }),
      { numRuns: 1000 },
    );
  });

  it('sums the breakdown to the available balance, lines in the order credits are spent', () => {
    fc.assert(
      fc.property(grantsArb, (grants) => {
        const { available, breakdown } = summarizeBalance(grants, NOW);
        expect(available).toBe(grants.filter(usable).reduce((s, g) => s + g.remaining, 0));
        expect(breakdown.reduce((s, l) => s + l.available, 0)).toBe(available);
        for (let i = 0; i + 1 < breakdown.length; i++) {
          const [a, b] = [breakdown[i]!, breakdown[i + 1]!];
          expect((a.expiresAt ?? Infinity) <= (b.expiresAt ?? Infinity)).toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
