import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideTopUp, failed, initialState, monthOf, started, succeeded, thisMonth, topUpPurchaseId, type AutoTopUp } from '../../src/domain/auto-top-up.js';

const T0 = Date.UTC(2030, 2, 10, 12);

function settings(over: Partial<AutoTopUp> = {}): AutoTopUp {
  return {
    enabled: true, threshold: 50, packId: 'p', quantity: 1, monthlyLimit: { purchases: null, amount: null }, cooldownSeconds: 60,
    credits: 100, price: { amount: 900, currency: 'usd' }, expiresInDays: null, provider: 'sandbox', reason: null, state: initialState(T0), ...over,
  };
}

describe('auto top-up rules', () => {
  it('buys below the threshold when armed, then not again until re-armed at or above it', () => {
    const a = settings();
    expect(decideTopUp(a, 50, T0)).toEqual({ fire: false, why: 'above', rearm: false });
    expect(decideTopUp(a, 49, T0)).toEqual({ fire: true });
    const after = { ...a, state: started(a, 'pur_1', T0) };
    expect(after.state).toMatchObject({ armed: false, crossings: 1, pendingPurchaseId: 'pur_1', monthPurchases: 1, monthAmount: 900 });
    expect(decideTopUp(after, 10, T0 + 3_600_000)).toMatchObject({ fire: false, why: 'disarmed' });
    expect(decideTopUp(after, 50, T0)).toEqual({ fire: false, why: 'above', rearm: true });
  });

  it('waits for a pending top-up, the cooldown and the monthly limits', () => {
    const pending = settings({ state: { ...initialState(T0), pendingPurchaseId: 'x' } });
    expect(decideTopUp(pending, 0, T0)).toMatchObject({ why: 'pending' });
    const cooling = settings({ state: { ...initialState(T0), lastTopUpAt: T0 } });
    expect(decideTopUp(cooling, 0, T0 + 59_999)).toMatchObject({ why: 'cooldown' });
    expect(decideTopUp(cooling, 0, T0 + 60_000)).toEqual({ fire: true });
    const full = settings({ monthlyLimit: { purchases: 2, amount: null }, state: { ...initialState(T0), monthPurchases: 2 } });
    expect(decideTopUp(full, 0, T0)).toMatchObject({ why: 'monthly_limit' });
    // A new month counts from zero.
    expect(decideTopUp(full, 0, Date.UTC(2030, 3, 1))).toEqual({ fire: true });
    const money = settings({ quantity: 2, monthlyLimit: { purchases: null, amount: 2700 }, state: { ...initialState(T0), monthAmount: 900 } });
    expect(decideTopUp(money, 0, T0)).toEqual({ fire: true });
    expect(decideTopUp({ ...money, state: { ...money.state, monthAmount: 901 } }, 0, T0)).toMatchObject({ why: 'monthly_limit' });
    expect(decideTopUp(settings({ enabled: false }), 0, T0)).toEqual({ fire: false, why: 'off', rearm: false });
  });

  it('a failure gives back its month and re-arms; a late success counts it again and ends the failures', () => {
    const a = settings();
    const purchase = { id: 'pur_1', createdAt: T0, price: { amount: 900, currency: 'usd' } };
    const s1 = { ...a, state: started(a, purchase.id, T0) };
    const s2 = { ...a, state: failed(s1, purchase, 'card_declined', T0 + 1) };
    expect(s2.state).toMatchObject({ armed: true, pendingPurchaseId: null, failuresInRow: 1, monthPurchases: 0, monthAmount: 0, lastFailure: { reason: 'card_declined' } });
    expect(succeeded(s2, purchase, true)).toMatchObject({ failuresInRow: 0, monthPurchases: 1, monthAmount: 900 });
    expect(succeeded(s1, purchase, false)).toMatchObject({ pendingPurchaseId: null, monthPurchases: 1 });
  });

  it('never counts past the limit over any sequence of balances and times', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 3_600_000 }), fc.boolean()), { maxLength: 80 }), (steps) => {
        let a = settings({ monthlyLimit: { purchases: 3, amount: 2700 }, cooldownSeconds: 0 });
        let now = T0;
        const made = new Map<string, number>();
        let ids = new Set<string>();
        for (const [available, wait, pay] of steps) {
          now += wait;
          const d = decideTopUp(a, available, now);
          if (d.fire) {
            const id = topUpPurchaseId('c', a.state.crossings + 1);
            expect(ids.has(id)).toBe(false);
            ids = new Set([...ids, id]);
            made.set(monthOf(now), (made.get(monthOf(now)) ?? 0) + 1);
            a = { ...a, state: started(a, id, now) };
          } else if (d.rearm) a = { ...a, state: { ...a.state, armed: true } };
          if (pay && a.state.pendingPurchaseId) a = { ...a, state: succeeded(a, { id: a.state.pendingPurchaseId, createdAt: now, price: a.price }, false) };
          expect(thisMonth(a.state, now).purchases).toBeLessThanOrEqual(3);
        }
        for (const n of made.values()) expect(n).toBeLessThanOrEqual(3);
      }),
    );
  });

  it('derives a short purchase id from the customer and the crossing', () => {
    const long = 'c'.repeat(128);
    expect(topUpPurchaseId(long, 7)).toMatch(/^pur_topup_[0-9a-f]{16}_7$/);
    expect(topUpPurchaseId('a', 1)).not.toBe(topUpPurchaseId('b', 1));
    expect(topUpPurchaseId('a', 1)).not.toBe(topUpPurchaseId('a', 2));
  });
});
