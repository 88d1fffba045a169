import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { anyInForce, effectiveLimits, hasLimits, limitRefusal, windowStarts, type Limits } from '../../src/domain/limits.js';

const cap = fc.option(fc.integer({ min: 1, max: 1000 }), { nil: undefined });
const limits = fc.record({ daily: cap, monthly: cap, maxInFlight: cap, tools: fc.option(fc.dictionary(fc.constantFrom('a', 'b'), fc.record({ daily: cap, monthly: cap })), { nil: undefined }) });
const clean = (l: Record<string, unknown>): Limits => JSON.parse(JSON.stringify(l)) as Limits;

describe('spend limits (pure)', () => {
  it("take each field from the customer when it sets it, else from the plan, and say whose it is", () => {
    fc.assert(
      fc.property(limits.map(clean), limits.map(clean), (own, plan) => {
        const e = effectiveLimits(own, plan);
        for (const f of ['daily', 'monthly', 'maxInFlight'] as const) {
          const want = own[f] !== undefined ? { value: own[f], source: 'customer' } : plan[f] !== undefined ? { value: plan[f], source: 'plan' } : null;
          expect(e[f]).toEqual(want);
        }
        for (const t of ['a', 'b']) {
          for (const f of ['daily', 'monthly'] as const) {
            const o = own.tools?.[t]?.[f];
            const p = plan.tools?.[t]?.[f];
            expect(e.tools[t]?.[f] ?? null).toEqual(o !== undefined ? { value: o, source: 'customer' } : p !== undefined ? { value: p, source: 'plan' } : null);
          }
        }
        expect(anyInForce(e)).toBe(hasLimits(own) || hasLimits(plan));
      }),
    );
  });

  it('windows are UTC calendar days and months', () => {
    expect(windowStarts(Date.parse('2031-12-31T23:59:59.999Z'))).toEqual({ day: Date.parse('2031-12-31T00:00:00Z'), month: Date.parse('2031-12-01T00:00:00Z') });
    expect(windowStarts(Date.parse('2032-01-01T00:00:00.000Z'))).toEqual({ day: Date.parse('2032-01-01T00:00:00Z'), month: Date.parse('2032-01-01T00:00:00Z') });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_102_444_800_000 }), (at) => {
        const { day, month } = windowStarts(at);
        expect(day <= at && at < day + 86_400_000 && day % 86_400_000 === 0).toBe(true);
        const d = new Date(month);
        expect(d.getUTCDate() === 1 && d.getUTCHours() === 0 && month <= at && new Date(at).getUTCMonth() === d.getUTCMonth()).toBe(true);
      }),
    );
  });

  it('refuse a reservation exactly when it would pass a limit: the in-flight cap first, then the day and month, the customer before the tool', () => {
    fc.assert(
      fc.property(limits.map(clean), fc.array(fc.integer({ min: 0, max: 1200 }), { minLength: 4, maxLength: 4 }), fc.integer({ min: 0, max: 5 }), fc.integer({ min: 1, max: 300 }), (own, [day, month, tday, tmonth], inFlight, cost) => {
        const e = effectiveLimits(own, null);
        const used = (scope: string, _tool: string, window: string) => (scope === 'tool' ? (window === 'day' ? tday! : tmonth!) : window === 'day' ? day! : month!);
        const r = limitRefusal(e, 'a', cost, inFlight, used);
        const checks: [boolean, unknown][] = [
          [own.maxInFlight !== undefined && inFlight + 1 > own.maxInFlight, { kind: 'in_flight', limit: own.maxInFlight, inFlight }],
          [own.daily !== undefined && day! + cost > own.daily, { kind: 'spend', scope: 'customer', window: 'day', limit: own.daily, used: day, required: cost }],
          [own.monthly !== undefined && month! + cost > own.monthly, { kind: 'spend', scope: 'customer', window: 'month', limit: own.monthly, used: month, required: cost }],
          [own.tools?.a?.daily !== undefined && tday! + cost > own.tools.a.daily, { kind: 'spend', scope: 'tool', toolId: 'a', window: 'day', limit: own.tools?.a?.daily, used: tday, required: cost }],
          [own.tools?.a?.monthly !== undefined && tmonth! + cost > own.tools.a.monthly, { kind: 'spend', scope: 'tool', toolId: 'a', window: 'month', limit: own.tools?.a?.monthly, used: tmonth, required: cost }],
        ];
        expect(r).toEqual(checks.find(([hit]) => hit)?.[1] ?? null);
      }),
    );
  });
});
