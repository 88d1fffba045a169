import { describe, expect, it } from 'vitest';
import { violations, type Books } from './harness.js';

/** The checker the reliability suite trusts must itself see broken books. */
function books(): Books {
  return {
    customers: new Map([['c', { granted: 10, available: 4, reserved: 3, spent: 2, expired: 1, voided: 0, minRemaining: 4 }]]),
    generations: new Map([
      ['g1', { customerId: 'c', status: 'reserved', cost: 3, charged: 0, refunded: 0, reservedInLedger: 3, settledInLedger: 0, refundedInLedger: 0 }],
      ['g2', { customerId: 'c', status: 'completed', cost: 2, charged: 2, refunded: 0, reservedInLedger: 2, settledInLedger: 2, refundedInLedger: 0 }],
    ]),
    grants: new Map(),
    purchases: [],
    idempotencyKeys: 0,
    limits: {
      inFlight: new Map([['c', { counter: 1, reserved: 1 }]]),
      stored: new Map([['c:customer::day:0', 3]]),
      derived: new Map([['c:customer::day:0', 3]]),
    },
  };
}

describe('the books checker', () => {
  it('passes balanced books', () => {
    expect(violations(books())).toEqual([]);
  });
  it('sees an open-hold counter astray, a spend window the ledger disagrees with, and one missing', () => {
    const counter = books();
    counter.limits.inFlight.get('c')!.counter = 2;
    expect(violations(counter)).toHaveLength(1);
    const window = books();
    window.limits.stored.set('c:customer::day:0', 4);
    expect(violations(window)).toHaveLength(1);
    const missing = books();
    missing.limits.stored.clear();
    expect(violations(missing)).toHaveLength(1);
  });
  it('sees a credit invented, a credit lost, a negative balance, a double settlement and a refund beyond the charge', () => {
    const invented = books();
    invented.customers.get('c')!.available = 5;
    expect(violations(invented)).toHaveLength(1);
    const lost = books();
    lost.customers.get('c')!.spent = 1;
    expect(violations(lost)).toHaveLength(1);
    const negative = books();
    Object.assign(negative.customers.get('c')!, { available: -1, spent: 7 });
    expect(violations(negative).some((v) => v.includes('negative'))).toBe(true);
    const twice = books();
    twice.generations.get('g2')!.settledInLedger = 4;
    expect(violations(twice)).toEqual([expect.stringContaining('settled more than once')]);
    const refund = books();
    Object.assign(refund.generations.get('g2')!, { refunded: 3, refundedInLedger: 3 });
    expect(violations(refund)).toHaveLength(1);
  });
});
