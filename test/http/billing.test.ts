import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPurse, uid, type TestPurse } from '../helpers.js';

let p: TestPurse;
const DAY = 86_400;

beforeAll(async () => {
  p = await startTestPurse();
  // Start the test clock on a fixed, known day so month arithmetic is checkable.
  await p.call('POST', '/v1/test-clock', { now: '2030-01-31T12:00:00.000Z' });
});
afterAll(async () => p.close());

async function setup(opts: { rollover?: number } = {}) {
  const suffix = uid('x');
  const pro = `pro_${suffix}`;
  const max = `max_${suffix}`;
  const basic = `basic_${suffix}`;
  const pack = `pack_${suffix}`;
  const tool = `tool_${suffix}`;
  const customer = uid('cus');
  expect((await p.call('PUT', `/v1/plans/${pro}`, { name: 'Pro', creditsPerPeriod: 500, price: { amount: 2000, currency: 'usd' }, ...(opts.rollover ? { rollover: { max: opts.rollover } } : {}) })).status).toBe(201);
  await p.call('PUT', `/v1/plans/${max}`, { name: 'Max', creditsPerPeriod: 2000, price: { amount: 6000, currency: 'usd' } });
  await p.call('PUT', `/v1/plans/${basic}`, { name: 'Basic', creditsPerPeriod: 100, price: { amount: 500, currency: 'usd' } });
  await p.call('PUT', `/v1/packs/${pack}`, { name: '100 credits', credits: 100, price: { amount: 1000, currency: 'usd' } });
  await p.call('PUT', `/v1/tools/${tool}`, { name: 'Tool', credits: 1 });
  await p.call('PUT', `/v1/customers/${customer}`, {});
  return { pro, max, basic, pack, tool, customer };
}

async function spend(customerId: string, toolId: string, units: number) {
  const r = await p.call('POST', '/v1/generations', { customerId, toolId, units });
  expect(r.status).toBe(201);
  expect((await p.call('POST', `/v1/generations/${r.body.id}/complete`, {})).status).toBe(200);
}

const balanceOf = async (c: string) => (await p.call('GET', `/v1/customers/${c}/balance`)).body;

describe('plans that reset every billing cycle, packs that never expire', () => {
  it('spends plan credits first; at the period end plan credits reset and add-on credits stay', async () => {
    const s = await setup();
    const sub = await p.call('PUT', `/v1/customers/${s.customer}/subscription`, { planId: s.pro });
    expect(sub.body).toMatchObject({ status: 'active', effect: 'started', currentPeriodStart: '2030-01-31T12:00:00.000Z', currentPeriodEnd: '2030-02-28T12:00:00.000Z' });
    const bought = await p.call('POST', `/v1/customers/${s.customer}/purchases`, { packId: s.pack });
    expect(bought.status).toBe(201);
    expect(bought.body).toMatchObject({ status: 'paid', credits: 100 });
    expect(await balanceOf(s.customer)).toMatchObject({ available: 600 });

    await spend(s.customer, s.tool, 300);
    expect((await balanceOf(s.customer)).breakdown).toEqual([
      { source: 'plan', available: 200, expiresAt: '2030-02-28T12:00:00.000Z' },
      { source: 'addon', available: 100, expiresAt: null },
    ]);
    await spend(s.customer, s.tool, 220);
    expect((await balanceOf(s.customer)).breakdown).toEqual([{ source: 'addon', available: 80, expiresAt: null }]);

    await p.call('POST', '/v1/test-clock', { advanceSeconds: 29 * DAY });
    const after = await balanceOf(s.customer);
    expect(after.available).toBe(580);
    expect(after.breakdown).toEqual([
      { source: 'plan', available: 500, expiresAt: '2030-03-31T12:00:00.000Z' },
      { source: 'addon', available: 80, expiresAt: null },
    ]);
    expect(after.subscription).toMatchObject({ planId: s.pro, currentPeriodEnd: '2030-03-31T12:00:00.000Z' });
  });

  it('carries unused plan credits over up to the rollover cap', async () => {
    const s = await setup({ rollover: 100 });
    await p.call('PUT', `/v1/customers/${s.customer}/subscription`, { planId: s.pro });
    await spend(s.customer, s.tool, 350); // 150 unused, 100 carried
    await p.call('POST', '/v1/test-clock', { advanceSeconds: 31 * DAY });
    const b = await balanceOf(s.customer);
    expect(b.available).toBe(600);
    const ledger = (await p.call('GET', `/v1/customers/${s.customer}/ledger?limit=100`)).body.data;
    expect(ledger.filter((e: any) => e.type === 'expire').map((e: any) => e.amount)).toEqual([150]);
  });

  it('upgrades at once; cancels at the period end and issues no new period after it', async () => {
    const s = await setup();
    await p.call('PUT', `/v1/customers/${s.customer}/subscription`, { planId: s.pro });
    await spend(s.customer, s.tool, 100);
    await p.call('POST', '/v1/test-clock', { advanceSeconds: 10 * DAY });
    const up = await p.call('PUT', `/v1/customers/${s.customer}/subscription`, { planId: s.max });
    expect(up.body).toMatchObject({ effect: 'upgraded', planId: s.max });
    expect(await balanceOf(s.customer)).toMatchObject({ available: 2000 });

    const down = await p.call('PUT', `/v1/customers/${s.customer}/subscription`, { planId: s.basic });
    expect(down.body).toMatchObject({ effect: 'downgrade_scheduled', planId: s.max, pendingPlanId: s.basic });
    const cancel = await p.call('DELETE', `/v1/customers/${s.customer}/subscription`);
    expect(cancel.body).toMatchObject({ cancelAtPeriodEnd: true, status: 'active' });
    expect(await balanceOf(s.customer)).toMatchObject({ available: 2000 });

    await p.call('POST', '/v1/test-clock', { advanceSeconds: 40 * DAY });
    expect(await balanceOf(s.customer)).toMatchObject({ available: 0, subscription: null });
    expect((await p.call('GET', `/v1/customers/${s.customer}/subscription`)).body).toMatchObject({ status: 'canceled' });
    await p.call('POST', '/v1/test-clock', { advanceSeconds: 40 * DAY });
    expect((await balanceOf(s.customer)).available).toBe(0);
  });

  it('keeps the reason given for a plan change or cancellation, and writes an upgrade\'s reason into the ledger', async () => {
    const s = await setup();
    const started = await p.call('PUT', `/v1/customers/${s.customer}/subscription`, { planId: s.pro });
    expect(started.body.changeReason).toBeNull();
    const up = await p.call('PUT', `/v1/customers/${s.customer}/subscription`, { planId: s.max, reason: 'sales deal #42' });
    expect(up.body).toMatchObject({ effect: 'upgraded', changeReason: 'sales deal #42' });
    const ledger = (await p.call('GET', `/v1/customers/${s.customer}/ledger?limit=10`)).body.data;
    expect(ledger.find((e: { type: string }) => e.type === 'expire')?.reason).toBe(`upgraded to ${s.max}: sales deal #42`);

    const cancel = await p.call('DELETE', `/v1/customers/${s.customer}/subscription`, { reason: 'asked by email' });
    expect(cancel.body).toMatchObject({ cancelAtPeriodEnd: true, changeReason: 'asked by email' });
    expect((await p.call('GET', `/v1/customers/${s.customer}/subscription`)).body.changeReason).toBe('asked by email');

    const blank = await p.call('DELETE', `/v1/customers/${s.customer}/subscription`, { reason: '  ' });
    expect(blank.status).toBe(400);
    expect(blank.body.error.details.field).toBe('reason');
    expect((await p.call('GET', `/v1/customers/${s.customer}/subscription`)).body.changeReason).toBe('asked by email');
  });

  it('a downgrade takes effect at the period end; resuming clears a pending cancellation', async () => {
    const s = await setup();
    await p.call('PUT', `/v1/customers/${s.customer}/subscription`, { planId: s.pro });
    await p.call('DELETE', `/v1/customers/${s.customer}/subscription`);
    const resumed = await p.call('PUT', `/v1/customers/${s.customer}/subscription`, { planId: s.pro });
    expect(resumed.body).toMatchObject({ effect: 'resumed', cancelAtPeriodEnd: false });
    await p.call('PUT', `/v1/customers/${s.customer}/subscription`, { planId: s.basic });
    await p.call('POST', '/v1/test-clock', { advanceSeconds: 31 * DAY });
    const b = await balanceOf(s.customer);
    expect(b.subscription).toMatchObject({ planId: s.basic, pendingPlanId: null });
    expect(b.available).toBe(100);
  });

  it('advancing 14 months in one step issues 14 plan grants and expires 13; the ledger check balances', async () => {
    const s = await setup();
    await p.call('PUT', `/v1/customers/${s.customer}/subscription`, { planId: s.pro });
    await p.call('POST', '/v1/test-clock', { advanceSeconds: 14 * 30 * DAY });
    const grants = (await p.call('GET', `/v1/customers/${s.customer}/grants`)).body.data.filter((g: any) => g.source === 'plan');
    expect(grants).toHaveLength(14);
    const ledger = (await p.call('GET', `/v1/customers/${s.customer}/ledger?limit=100`)).body.data;
    expect(ledger.filter((e: any) => e.type === 'grant')).toHaveLength(14);
    expect(ledger.filter((e: any) => e.type === 'expire')).toHaveLength(13);
    expect((await balanceOf(s.customer)).available).toBe(500);
    expect((await p.ctx.store.audit()).problems).toEqual([]);
  });

  it('a refunded sandbox purchase takes back what is left of its credits', async () => {
    const s = await setup();
    const bought = await p.call('POST', `/v1/customers/${s.customer}/purchases`, { packId: s.pack });
    await spend(s.customer, s.tool, 30);
    const refunded = await p.call('POST', `/v1/purchases/${bought.body.id}/refund`, { reason: 'chargeback' });
    expect(refunded.body.status).toBe('refunded');
    expect((await balanceOf(s.customer)).available).toBe(0);
    expect((await p.call('POST', `/v1/purchases/${bought.body.id}/refund`, { reason: 'again' })).body.status).toBe('refunded');
  });

  it('lists active plans, packs and tools on the public pricing page', async () => {
    const s = await setup();
    const pricing = await p.call('GET', '/v1/pricing', undefined, { auth: null });
    expect(pricing.status).toBe(200);
    expect(pricing.body.plans.find((x: any) => x.id === s.pro)).toMatchObject({ creditsPerPeriod: 500, period: 'month', price: { amount: 2000, currency: 'usd' } });
    expect(pricing.body.packs.find((x: any) => x.id === s.pack)).toMatchObject({ credits: 100, expiresInDays: null });
  });
});
