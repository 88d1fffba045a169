import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedCustomer, startTestPurse, uid, type TestPurse } from '../helpers.js';

/**
 * Spend limits and the in-flight cap (issue 14, parts 2 and 3), through HTTP on
 * both stores. The test clock is set to a fixed day first and only moves forward.
 */
let p: TestPurse;
beforeAll(async () => {
  p = await startTestPurse();
  await p.call('POST', '/v1/test-clock', { now: '2031-03-10T12:00:00.000Z' });
});
afterAll(async () => {
  await p?.close();
});

const ledgerCount = async (customerId: string) => (await p.call('GET', `/v1/customers/${customerId}/ledger?limit=100`)).body.data.length as number;
const limitsOf = async (customerId: string) => (await p.call('GET', `/v1/customers/${customerId}/limits`)).body;

describe('setting limits', () => {
  it('refuses bad input with 400 naming the field, and changes nothing', async () => {
    const { customerId, toolId } = await seedCustomer(p, { credits: 100 });
    const bad: [unknown, string][] = [
      [{ daily: 0 }, 'daily'],
      [{ monthly: 2.5 }, 'monthly'],
      [{ maxInFlight: -1 }, 'maxInFlight'],
      [{ daily: '10' }, 'daily'],
      [{ tools: { [toolId]: { daily: 0 } } }, `tools.${toolId}.daily`],
      [{ tools: { [toolId]: { hourly: 5 } } }, `tools.${toolId}`],
      [{ tools: { no_such_tool: { daily: 5 } } }, 'tools.no_such_tool'],
      [{ weekly: 5 }, 'body'],
      [{ tools: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`t${i}`, { daily: 1 }])) }, 'tools'],
    ];
    for (const [body, field] of bad) {
      const res = await p.call('PUT', `/v1/customers/${customerId}/limits`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
      expect(res.body.error.details.field, JSON.stringify(body)).toBe(field);
    }
    const state = await limitsOf(customerId);
    expect(state).toMatchObject({ own: null, effective: { daily: null, monthly: null, maxInFlight: null, tools: {} } });
    expect((await p.call('PUT', `/v1/customers/${uid('nobody')}/limits`, { daily: 5 })).status).toBe(404);
  });

  it("a plan's limits apply to its subscribers; a customer's own override them field by field, and GET shows what is used", async () => {
    const { customerId, toolId } = await seedCustomer(p, { credits: 1000, toolCredits: 5 });
    const planId = uid('plan');
    const badPlan = await p.call('PUT', `/v1/plans/${planId}`, { name: 'Capped', creditsPerPeriod: 0, price: { amount: 0, currency: 'usd' }, limits: { tools: { nope: { daily: 1 } } } });
    expect(badPlan.status).toBe(400);
    expect(badPlan.body.error.details.field).toBe('limits.tools.nope');
    const plan = await p.call('PUT', `/v1/plans/${planId}`, {
      name: 'Capped',
      creditsPerPeriod: 0,
      price: { amount: 0, currency: 'usd' },
      limits: { daily: 100, monthly: 1000, maxInFlight: 5, tools: { [toolId]: { daily: 30 } } },
    });
    expect(plan.status).toBe(201);
    expect(plan.body.limits).toEqual({ daily: 100, monthly: 1000, maxInFlight: 5, tools: { [toolId]: { daily: 30 } } });
    expect((await p.call('GET', '/v1/plans')).body.data.find((x: { id: string }) => x.id === planId).limits.daily).toBe(100);
    expect((await p.call('PUT', `/v1/customers/${customerId}/subscription`, { planId })).status).toBeLessThan(300);

    let state = await limitsOf(customerId);
    expect(state).toMatchObject({
      own: null,
      planId,
      effective: {
        daily: { value: 100, source: 'plan' },
        monthly: { value: 1000, source: 'plan' },
        maxInFlight: { value: 5, source: 'plan' },
        tools: { [toolId]: { daily: { value: 30, source: 'plan' }, monthly: null } },
      },
      used: { day: 0, month: 0, tools: { [toolId]: { day: 0, month: 0 } } },
      inFlight: 0,
      windows: { day: { start: '2031-03-10T00:00:00.000Z', end: '2031-03-11T00:00:00.000Z' }, month: { start: '2031-03-01T00:00:00.000Z', end: '2031-04-01T00:00:00.000Z' } },
    });

    const put = await p.call('PUT', `/v1/customers/${customerId}/limits`, { daily: 50, tools: { [toolId]: { monthly: 500 } }, reason: 'asked by finance' });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({
      own: { daily: 50, tools: { [toolId]: { monthly: 500 } } },
      reason: 'asked by finance',
      effective: {
        daily: { value: 50, source: 'customer' },
        monthly: { value: 1000, source: 'plan' },
        maxInFlight: { value: 5, source: 'plan' },
        tools: { [toolId]: { daily: { value: 30, source: 'plan' }, monthly: { value: 500, source: 'customer' } } },
      },
    });

    const gen = await p.call('POST', '/v1/generations', { customerId, toolId, units: 4 });
    expect(gen.status).toBe(201);
    state = await limitsOf(customerId);
    expect(state.used).toEqual({ day: 20, month: 20, tools: { [toolId]: { day: 20, month: 20 } } });
    expect(state.inFlight).toBe(1);

    // The tool's daily 30 (the plan's) binds before the customer's 50.
    const over = await p.call('POST', '/v1/generations', { customerId, toolId, units: 3 });
    expect(over.status).toBe(402);
    expect(over.body.error).toMatchObject({ code: 'spend_limit_reached', details: { scope: 'tool', window: 'day', limit: 30, used: 20, required: 15 } });

    // Clearing the customer's own limits leaves the plan's.
    const cleared = await p.call('PUT', `/v1/customers/${customerId}/limits`, {});
    expect(cleared.body).toMatchObject({ own: null, effective: { daily: { value: 100, source: 'plan' } } });
  });
});

describe('a daily limit under 50 concurrent reservations', () => {
  it('counts no more than the limit, lets exactly the right number through, and refusals change nothing', async () => {
    const { customerId, toolId } = await seedCustomer(p, { credits: 1000, toolCredits: 3 });
    expect((await p.call('PUT', `/v1/customers/${customerId}/limits`, { daily: 100 })).status).toBe(200);
    const ledgerBefore = await ledgerCount(customerId);

    const results = await Promise.all(Array.from({ length: 50 }, () => p.call('POST', '/v1/generations', { customerId, toolId })));
    const created = results.filter((r) => r.status === 201);
    const refused = results.filter((r) => r.status === 402);
    expect(created).toHaveLength(33);
    expect(refused).toHaveLength(17);
    for (const r of refused) expect(r.body.error).toMatchObject({ code: 'spend_limit_reached', details: { scope: 'customer', window: 'day', limit: 100, used: 99, required: 3 } });

    const state = await limitsOf(customerId);
    expect(state.used.day).toBe(99);
    expect(state.used.month).toBe(99);
    expect(state.used.tools[toolId]).toEqual({ day: 99, month: 99 });
    expect(state.inFlight).toBe(33);
    expect((await p.call('GET', `/v1/customers/${customerId}/balance`)).body).toMatchObject({ available: 1000 - 99, reserved: 99 });
    expect(await ledgerCount(customerId)).toBe(ledgerBefore + 33);
  });
});

describe('maxInFlight under 50 concurrent reservations', () => {
  it('never holds more than the cap, refuses the rest with 429, and settling frees a slot', async () => {
    const { customerId, toolId } = await seedCustomer(p, { credits: 1000, toolCredits: 1 });
    expect((await p.call('PUT', `/v1/customers/${customerId}/limits`, { maxInFlight: 5 })).status).toBe(200);
    const results = await Promise.all(Array.from({ length: 50 }, () => p.call('POST', '/v1/generations', { customerId, toolId })));
    const created = results.filter((r) => r.status === 201);
    const refused = results.filter((r) => r.status === 429);
    expect(created).toHaveLength(5);
    expect(refused).toHaveLength(45);
    for (const r of refused) expect(r.body.error).toMatchObject({ code: 'too_many_in_flight', details: { limit: 5, inFlight: 5 } });
    expect((await limitsOf(customerId)).inFlight).toBe(5);
    expect((await p.call('GET', `/v1/customers/${customerId}/balance`)).body).toMatchObject({ available: 995, reserved: 5 });

    expect((await p.call('POST', `/v1/generations/${created[0]!.body.id}/complete`, {})).status).toBe(200);
    expect((await p.call('POST', `/v1/generations/${created[1]!.body.id}/fail`, {})).status).toBe(200);
    expect((await limitsOf(customerId)).inFlight).toBe(3);
    const again = await Promise.all(Array.from({ length: 10 }, () => p.call('POST', '/v1/generations', { customerId, toolId })));
    expect(again.filter((r) => r.status === 201)).toHaveLength(2);
    expect(again.filter((r) => r.status === 429)).toHaveLength(8);
    expect((await limitsOf(customerId)).inFlight).toBe(5);
  });
});

describe('credits that come back stop counting', () => {
  it('fail, completing with fewer units, refund and timeout give their window use back', async () => {
    const { customerId, toolId } = await seedCustomer(p, { credits: 1000, toolCredits: 10, holdSeconds: 60 });
    expect((await p.call('PUT', `/v1/customers/${customerId}/limits`, { daily: 100, monthly: 100 })).status).toBe(200);
    const reserve = async (units: number) => (await p.call('POST', '/v1/generations', { customerId, toolId, units })).body.id as string;

    const failed = await reserve(4);
    expect((await limitsOf(customerId)).used.day).toBe(40);
    await p.call('POST', `/v1/generations/${failed}/fail`, { reason: 'model error' });
    expect((await limitsOf(customerId)).used).toMatchObject({ day: 0, month: 0 });

    const fewer = await reserve(3);
    await p.call('POST', `/v1/generations/${fewer}/complete`, { units: 1 });
    expect((await limitsOf(customerId)).used).toMatchObject({ day: 10, month: 10 });

    const refunded = await reserve(2);
    await p.call('POST', `/v1/generations/${refunded}/complete`, {});
    expect((await limitsOf(customerId)).used.day).toBe(30);
    expect((await p.call('POST', `/v1/generations/${refunded}/refund`, { reason: 'bad result', amount: 5 })).status).toBe(200);
    expect((await limitsOf(customerId)).used).toMatchObject({ day: 25, month: 25 });

    const full = await p.call('POST', '/v1/generations', { customerId, toolId, units: 8 });
    expect(full.status).toBe(402);
    expect(full.body.error.details).toMatchObject({ scope: 'customer', window: 'day', limit: 100, used: 25, required: 80 });

    await reserve(7);
    expect((await limitsOf(customerId)).used.day).toBe(95);
    await p.call('POST', '/v1/test-clock', { advanceSeconds: 120 });
    const after = await limitsOf(customerId);
    expect(after.used).toMatchObject({ day: 25, month: 25 });
    expect(after.inFlight).toBe(0);
    expect((await p.call('POST', '/v1/generations', { customerId, toolId, units: 7 })).status).toBe(201);
  });

  it("a reservation made yesterday and settled today gives back this month's use, not today's", async () => {
    const { customerId, toolId } = await seedCustomer(p, { credits: 1000, toolCredits: 10, holdSeconds: 86_400 });
    expect((await p.call('PUT', `/v1/customers/${customerId}/limits`, { daily: 50, monthly: 500 })).status).toBe(200);
    await p.call('POST', '/v1/test-clock', { now: '2031-03-10T23:30:00.000Z' });
    const yesterday = (await p.call('POST', '/v1/generations', { customerId, toolId, units: 5 })).body.id as string;
    expect((await limitsOf(customerId)).used).toMatchObject({ day: 50, month: 50 });

    await p.call('POST', '/v1/test-clock', { now: '2031-03-11T00:30:00.000Z' });
    expect((await limitsOf(customerId)).used).toMatchObject({ day: 0, month: 50 });
    const today = await p.call('POST', '/v1/generations', { customerId, toolId, units: 2 });
    expect(today.status).toBe(201);
    expect((await limitsOf(customerId)).used).toMatchObject({ day: 20, month: 70 });

    expect((await p.call('POST', `/v1/generations/${yesterday}/fail`, {})).status).toBe(200);
    const state = await limitsOf(customerId);
    expect(state.used).toMatchObject({ day: 20, month: 20 });
    expect(state.inFlight).toBe(1);
    // Today's window still holds today's 20: 30 more fit, 40 do not.
    expect((await p.call('POST', '/v1/generations', { customerId, toolId, units: 4 })).body.error.details).toMatchObject({ window: 'day', used: 20, required: 40 });
    expect((await p.call('POST', '/v1/generations', { customerId, toolId, units: 3 })).status).toBe(201);
  });
});
