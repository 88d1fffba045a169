import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPurse, uid, type TestPurse } from '../helpers.js';

let p: TestPurse;
beforeAll(async () => {
  p = await startTestPurse();
  await p.call('POST', '/v1/test-clock', { now: '2031-05-10T10:00:00.000Z' });
});
afterAll(async () => p.close());

const DAY = 86_400;
const RANGE = 'from=2031-05-10T00:00:00Z&to=2031-06-12T00:00:00Z';

describe('the revenue report', () => {
  it('recognises revenue at the cost basis, reverses it on refunds, books breakage and purchase refunds, and balances to the cent', async () => {
    const customerId = uid('cus');
    const toolId = uid('tool');
    const packId = uid('pack');
    const planId = uid('plan');
    await p.call('PUT', `/v1/tools/${toolId}`, { name: 'Tool', credits: 1 });
    await p.call('PUT', `/v1/packs/${packId}`, { name: 'Three', credits: 3, price: { amount: 1000, currency: 'usd' } });
    await p.call('PUT', `/v1/plans/${planId}`, { name: 'Ten', creditsPerPeriod: 10, price: { amount: 999, currency: 'usd' } });
    await p.call('PUT', `/v1/customers/${customerId}`, {});

    // Day 1: a pack of 3 credits for $10.00; two credits spent (333 + 333 cents), one refunded (333 back).
    const purchase = (await p.call('POST', `/v1/customers/${customerId}/purchases`, { packId })).body;
    expect(purchase.status).toBe('paid');
    const grants = (await p.call('GET', `/v1/customers/${customerId}/grants`)).body.data;
    expect(grants[0]).toMatchObject({ source: 'addon', paid: 1000, currency: 'usd' });
    const spend = async (units = 1) => {
      const gen = (await p.call('POST', '/v1/generations', { customerId, toolId, units })).body;
      expect((await p.call('POST', `/v1/generations/${gen.id}/complete`, {})).status).toBe(200);
      return gen.id as string;
    };
    const a = await spend();
    await spend();
    expect((await p.call('POST', `/v1/generations/${a}/refund`, { reason: 'bad result' })).status).toBe(200);

    // Day 2: a plan period of 10 credits for $9.99, 4 spent (floor(999 × 4 ÷ 10) = 399); the pack refunded with 2 credits left (667).
    await p.call('POST', '/v1/test-clock', { advanceSeconds: DAY });
    expect((await p.call('PUT', `/v1/customers/${customerId}/subscription`, { planId })).status).toBe(200);
    await spend(4);
    await p.call('POST', `/v1/customers/${customerId}/grants`, { amount: 50, source: 'bonus', reason: 'free credits are not money' });
    expect((await p.call('POST', `/v1/purchases/${purchase.id}/refund`, { reason: 'asked' })).status).toBe(200);
    expect((await p.call('DELETE', `/v1/customers/${customerId}/subscription`)).status).toBe(200);

    // A month on: the period ends with 6 credits unused, 600 cents of breakage.
    await p.call('POST', '/v1/test-clock', { now: '2031-06-11T12:00:00.000Z' });
    await p.call('GET', `/v1/customers/${customerId}/balance`);

    const res = await p.call('GET', `/v1/reports/revenue?${RANGE}&currency=usd`);
    expect(res.status).toBe(200);
    const report = res.body;
    expect(report.days).toHaveLength(33);
    expect(report.openingDeferred).toBe(0);
    const day = (date: string) => report.days.find((d: any) => d.date === date);
    expect(day('2031-05-10')).toEqual({ date: '2031-05-10', paidIn: 1000, revenue: 333, reversed: 333, refunds: 0, breakage: 0, deferred: 667 });
    expect(day('2031-05-11')).toEqual({ date: '2031-05-11', paidIn: 999, revenue: 399, reversed: 0, refunds: 667, breakage: 0, deferred: 600 });
    expect(day('2031-05-20')).toMatchObject({ paidIn: 0, revenue: 0, deferred: 600 });
    expect(day('2031-06-11')).toMatchObject({ breakage: 600, deferred: 0 });
    expect(report.totals).toEqual({ paidIn: 1999, revenue: 732, reversed: 333, refunds: 667, breakage: 600, deferred: 0 });
    const t = report.totals;
    expect(t.paidIn).toBe(t.revenue + t.breakage + t.refunds + t.deferred);

    // Another currency holds none of it; a later start opens with the deferred money of the days before.
    expect((await p.call('GET', `/v1/reports/revenue?${RANGE}&currency=eur`)).body.totals).toEqual({ paidIn: 0, revenue: 0, reversed: 0, refunds: 0, breakage: 0, deferred: 0 });
    const later = (await p.call('GET', '/v1/reports/revenue?from=2031-05-11T00:00:00Z&to=2031-05-12T00:00:00Z&currency=usd')).body;
    expect(later.openingDeferred).toBe(667);
    expect(later.days).toEqual([day('2031-05-11')]);

    expect((await p.ctx.store.audit()).problems).toEqual([]);
  });

  it('answers CSV, one line per day', async () => {
    const res = await p.call('GET', `/v1/reports/revenue?from=2031-05-10T00:00:00Z&to=2031-05-12T00:00:00Z&currency=usd&format=csv`);
    expect(res.status).toBe(200);
    expect(String(res.headers['content-type'])).toMatch(/^text\/csv/);
    expect(res.body).toBe('date,paidIn,revenue,reversed,refunds,breakage,deferred\n2031-05-10,1000,333,333,0,0,667\n2031-05-11,999,399,0,667,0,600\n');
  });

  it('refuses a missing or malformed currency, naming it', async () => {
    for (const q of ['', '&currency=USD', '&currency=dollars']) {
      const res = await p.call('GET', `/v1/reports/revenue?${RANGE}${q}`);
      expect(res.status).toBe(400);
      expect(res.body.error.details.field).toBe('currency');
    }
    const backwards = await p.call('GET', '/v1/reports/revenue?from=2031-05-10T00:00:00Z&to=2031-05-01T00:00:00Z&currency=usd');
    expect(backwards.body.error.details.field).toBe('from');
  });
});
