import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deferredMoney, entryMoney, moneyLine, moneyOfCredits } from '../../src/domain/money.js';

/** A grant's money fields, as the domain reads them. */
const grant = (paid: number, amount: number, consumed = 0) => ({ paid, amount, consumed });

describe('the cost basis', () => {
  it('spreads a price over its credits by cumulative floor, so the credits of $10.00 ÷ 3 are 333, 333 and 334', () => {
    expect([1, 2, 3].map((k) => moneyOfCredits(1000, 3, k))).toEqual([333, 666, 1000]);
    let g = grant(1000, 3);
    const moved: number[] = [];
    for (let i = 0; i < 3; i++) {
      const { money, consumed } = entryMoney(g, 'charge', 1);
      moved.push(money);
      g = { ...g, consumed };
    }
    expect(moved).toEqual([333, 333, 334]);
    expect(deferredMoney(g)).toBe(0);
  });

  it('gives 0 to free credits and to a price smaller than the credits until enough are spent', () => {
    expect(entryMoney(grant(0, 50), 'charge', 50).money).toBe(0);
    // 1 cent for 3 credits: the third credit carries it.
    expect([1, 2, 3].map((k) => moneyOfCredits(1, 3, k))).toEqual([0, 0, 1]);
  });

  it('reverses a refund from the end of what was consumed, and books what is left as breakage or a refund', () => {
    const charged = entryMoney(grant(999, 10), 'charge', 4);
    expect(charged).toEqual({ money: 399, consumed: 4 });
    const back = entryMoney(grant(999, 10, 4), 'refund', 1);
    expect(back).toEqual({ money: -(399 - 299), consumed: 3 });
    expect(entryMoney(grant(999, 10, 3), 'expire', 7)).toEqual({ money: 999 - 299, consumed: 10 });
    expect(entryMoney(grant(999, 10, 3), 'reserve', 7)).toEqual({ money: 0, consumed: 3 });
    expect(entryMoney(grant(999, 10, 3), 'release', 7)).toEqual({ money: 0, consumed: 3 });
    expect(entryMoney(grant(999, 10), 'grant', 10)).toEqual({ money: 999, consumed: 0 });
  });

  it('names the line each entry moves money on', () => {
    expect(moneyLine('grant', { refunded: false })).toBe('paidIn');
    expect(moneyLine('charge', { refunded: false })).toBe('revenue');
    expect(moneyLine('refund', { refunded: false })).toBe('revenue');
    expect(moneyLine('expire', { refunded: true })).toBe('breakage');
    expect(moneyLine('void', { refunded: false })).toBe('breakage');
    expect(moneyLine('void', { refunded: true })).toBe('refunds');
    expect(moneyLine('reserve', { refunded: false })).toBeNull();
  });

  it('is exact for prices and packs past 2^53 when multiplied', () => {
    // 9e9 × 3e6 passes Number.MAX_SAFE_INTEGER; the basis must still be exact.
    expect(moneyOfCredits(9_000_000_001, 3_000_000, 1)).toBe(3000);
    expect(moneyOfCredits(9_000_000_001, 3_000_000, 3_000_000)).toBe(9_000_000_001);
    // floor(9,000,000,001 × 2,999,999 ÷ 3,000,000) = 8,999,997,000; floating point says …001.
    expect(moneyOfCredits(9_000_000_001, 3_000_000, 2_999_999)).toBe(8_999_997_000);
  });

  it('never loses or invents a cent over any order of charges, refunds and expiries', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.array(fc.tuple(fc.constantFrom('charge' as const, 'refund' as const, 'expire' as const, 'void' as const), fc.integer({ min: 1, max: 500 })), { maxLength: 40 }),
        (paid, amount, steps) => {
          let g = grant(paid, amount);
          let recognised = 0;
          for (const [type, n] of steps) {
            const credits = type === 'refund' ? Math.min(n, g.consumed) : Math.min(n, amount - g.consumed);
            if (credits === 0) continue;
            const { money, consumed } = entryMoney(g, type, credits);
            if (type === 'refund') expect(money).toBeLessThanOrEqual(0);
            else expect(money).toBeGreaterThanOrEqual(0);
            recognised += money;
            g = { ...g, consumed };
            // Every entry's money is within one cent of its credits at the exact basis.
            expect(Math.abs(Math.abs(money) - (paid * credits) / amount)).toBeLessThan(1);
          }
          expect(recognised + deferredMoney(g)).toBe(paid);
          // Consuming what is left recognises exactly the rest.
          const rest = entryMoney(g, 'expire', amount - g.consumed);
          expect(recognised + rest.money).toBe(paid);
        },
      ),
    );
  });
});
