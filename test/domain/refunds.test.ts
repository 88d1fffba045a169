import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyFailure, DEFAULT_REFUND_POLICY, FAILURE_REASONS, freeRetriesUsed, policyRule, refundSplit, reportDeadline, reportsToday, resolvePolicy, withinAllowance } from '../../src/domain/refunds.js';

describe('refunds that follow the cause (pure)', () => {
  it('a reason of the closed set stays; free text becomes other with the text as the message', () => {
    for (const reason of FAILURE_REASONS) expect(classifyFailure(reason, 'm')).toEqual({ reason, message: 'm' });
    expect(classifyFailure('GPU fell over')).toEqual({ reason: 'other', message: 'GPU fell over' });
    expect(classifyFailure('GPU fell over', 'twice')).toEqual({ reason: 'other', message: 'GPU fell over: twice' });
    expect(classifyFailure(undefined)).toEqual({ reason: 'other', message: null });
    expect(classifyFailure('Timeout')).toEqual({ reason: 'other', message: 'Timeout' });
  });

  it('returned = floor(cost × percent / 100), kept is the rest, never negative', () => {
    expect(refundSplit(5, 50)).toEqual({ returned: 2, kept: 3 });
    expect(refundSplit(10, 0)).toEqual({ returned: 0, kept: 10 });
    expect(refundSplit(10, 100)).toEqual({ returned: 10, kept: 0 });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000_000 }), fc.integer({ min: 0, max: 100 }), (cost, percent) => {
        const { returned, kept } = refundSplit(cost, percent);
        expect(returned + kept).toBe(cost);
        expect(returned).toBeGreaterThanOrEqual(0);
        expect(kept).toBeGreaterThanOrEqual(0);
        expect(returned * 100).toBeLessThanOrEqual(cost * percent);
        expect((returned + 1) * 100).toBeGreaterThan(cost * percent);
      }),
    );
  });

  it("a tool's policy over the configured one over the built-in one, reason by reason", () => {
    expect(resolvePolicy()).toEqual(DEFAULT_REFUND_POLICY);
    expect(DEFAULT_REFUND_POLICY).toEqual({ provider_error: 100, timeout: 100, safety_blocked: 0, user_canceled: 100, bad_result: 100, other: 100 });
    expect(resolvePolicy({ timeout: 50, other: 10 }, { other: 20 }, null)).toMatchObject({ timeout: 50, other: 20, safety_blocked: 0 });
    expect(policyRule('safety_blocked', 0)).toBe('refund_policy:safety_blocked:0');
  });

  it('windows and allowances: the report deadline, counts of another period or day are zero, null is unlimited', () => {
    expect(reportDeadline(1_000, 2)).toBe(1_000 + 7_200_000);
    const usage = { periodStart: 100, freeRetries: 3, day: 86_400_000, reports: 2 };
    expect(freeRetriesUsed(usage, 100)).toBe(3);
    expect(freeRetriesUsed(usage, 200)).toBe(0);
    expect(reportsToday(usage, 86_400_000 + 5)).toBe(2);
    expect(reportsToday(usage, 2 * 86_400_000)).toBe(0);
    expect(withinAllowance(null, 1e9)).toBe(true);
    expect(withinAllowance(2, 1)).toBe(true);
    expect(withinAllowance(2, 2)).toBe(false);
  });
});
