import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPurse, uid, type TestPurse } from '../helpers.js';

/**
 * Issue 10, items 1 and 2: ids that Purse derives (a period's plan grant) or that a
 * client chooses (a generation) never collide into lost credits.
 */
let p: TestPurse;

beforeAll(async () => {
  p = await startTestPurse();
});
afterAll(async () => p.close());

async function plans() {
  const s = uid('x');
  const ids = { pro: `pro_${s}`, max: `max_${s}`, ultra: `ultra_${s}`, tool: `tool_${s}`, customer: uid('cus') };
  expect((await p.call('PUT', `/v1/plans/${ids.pro}`, { name: 'Pro', creditsPerPeriod: 500, price: { amount: 2000, currency: 'usd' } })).status).toBe(201);
  expect((await p.call('PUT', `/v1/plans/${ids.max}`, { name: 'Max', creditsPerPeriod: 1000, price: { amount: 4000, currency: 'usd' } })).status).toBe(201);
  expect((await p.call('PUT', `/v1/plans/${ids.ultra}`, { name: 'Ultra', creditsPerPeriod: 3000, price: { amount: 9000, currency: 'usd' } })).status).toBe(201);
  await p.call('PUT', `/v1/tools/${ids.tool}`, { name: 'Tool', credits: 1 });
  await p.call('PUT', `/v1/customers/${ids.customer}`, {});
  return ids;
}

const available = async (c: string) => (await p.call('GET', `/v1/customers/${c}/balance`)).body.available as number;
const subscribe = (c: string, planId: string) => p.call('PUT', `/v1/customers/${c}/subscription`, { planId });

describe('plan grants whose derived ids could collide (issue 10, item 1)', () => {
  it('an upgrade in the same millisecond as the period start issues the new plan\'s credits', async () => {
    const s = await plans();
    expect((await subscribe(s.customer, s.pro)).body.effect).toBe('started');
    expect(await available(s.customer)).toBe(500);
    const up = await subscribe(s.customer, s.max);
    expect(up.body.effect).toBe('upgraded');
    expect(await available(s.customer)).toBe(1000);
    // And again within the same millisecond: each period issues its grant once.
    expect((await subscribe(s.customer, s.ultra)).body.effect).toBe('upgraded');
    expect(await available(s.customer)).toBe(3000);
    const audit = (await p.ctx.store.audit()).problems;
    expect(audit).toEqual([]);
  });

  it('an upgrade back to a plan that had a period starting at the same instant issues a new grant', async () => {
    const s = await plans();
    await subscribe(s.customer, s.pro);
    expect((await subscribe(s.customer, s.max)).body.effect).toBe('upgraded');
    // Pro becomes bigger than Max, so moving back to it is an upgrade, still in the same millisecond.
    await p.call('PUT', `/v1/plans/${s.pro}`, { name: 'Pro', creditsPerPeriod: 1500, price: { amount: 5000, currency: 'usd' } });
    expect((await subscribe(s.customer, s.pro)).body.effect).toBe('upgraded');
    expect(await available(s.customer)).toBe(1500);
  });

  it('an upgrade after every plan credit is spent still ends the old grant and issues the new one', async () => {
    const s = await plans();
    await subscribe(s.customer, s.pro);
    const held = await p.call('POST', '/v1/generations', { customerId: s.customer, toolId: s.tool, units: 500 });
    expect(held.status).toBe(201);
    expect(await available(s.customer)).toBe(0);
    expect((await subscribe(s.customer, s.max)).body.effect).toBe('upgraded');
    expect(await available(s.customer)).toBe(1000);
    // The held credits came from the ended Pro grant: failing the job returns them there, where they expire.
    expect((await p.call('POST', `/v1/generations/${held.body.id}/fail`, {})).status).toBe(200);
    expect(await available(s.customer)).toBe(1000);
    expect((await p.ctx.store.audit()).problems).toEqual([]);
  });

  it('renews once per period after same-instant changes, carrying on from the right grant', async () => {
    const s = await plans();
    await subscribe(s.customer, s.pro);
    await subscribe(s.customer, s.max);
    await p.call('POST', '/v1/test-clock', { advanceSeconds: 32 * 86_400 });
    expect(await available(s.customer)).toBe(1000);
    const ledger = (await p.call('GET', `/v1/customers/${s.customer}/ledger?limit=100`)).body.data as { type: string; amount: number }[];
    expect(ledger.filter((e) => e.type === 'grant').map((e) => e.amount).sort((a, b) => a - b)).toEqual([500, 1000, 1000]);
  });
});

describe('generation ids are unique across customers (issue 10, item 2)', () => {
  it('a second customer reserving a taken id gets 409 idempotency_conflict, and the first can still settle', async () => {
    const tool = uid('tool');
    await p.call('PUT', `/v1/tools/${tool}`, { name: 'Tool', credits: 2 });
    const [a, b] = [uid('cus'), uid('cus')];
    for (const c of [a, b]) {
      await p.call('PUT', `/v1/customers/${c}`, {});
      await p.call('POST', `/v1/customers/${c}/grants`, { amount: 10, source: 'bonus', reason: 'test' });
    }
    const id = uid('gen');
    expect((await p.call('POST', '/v1/generations', { id, customerId: a, toolId: tool })).status).toBe(201);
    const second = await p.call('POST', '/v1/generations', { id, customerId: b, toolId: tool });
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe('idempotency_conflict');
    expect((await p.call('POST', `/v1/generations/${id}/complete`, {})).body).toMatchObject({ status: 'completed', customerId: a });
    expect(await available(a)).toBe(8);
    expect(await available(b)).toBe(10);
  });

  it('two customers reserving one id at the same instant: exactly one gets it, the other 409', async () => {
    const tool = uid('tool');
    await p.call('PUT', `/v1/tools/${tool}`, { name: 'Tool', credits: 1 });
    const customers = Array.from({ length: 8 }, () => uid('cus'));
    for (const c of customers) {
      await p.call('PUT', `/v1/customers/${c}`, {});
      await p.call('POST', `/v1/customers/${c}/grants`, { amount: 5, source: 'bonus', reason: 'test' });
    }
    for (let round = 0; round < 5; round++) {
      const id = uid('gen');
      const answers = await Promise.all(customers.map((customerId) => p.call('POST', '/v1/generations', { id, customerId, toolId: tool })));
      const won = answers.filter((r) => r.status === 201);
      expect(won).toHaveLength(1);
      for (const r of answers) if (r.status !== 201) expect(r.body.error.code).toBe('idempotency_conflict');
      const owner = won[0]!.body.customerId as string;
      const done = await p.call('POST', `/v1/generations/${id}/fail`, {});
      expect(done.body).toMatchObject({ status: 'failed', customerId: owner });
    }
    for (const c of customers) expect(await available(c)).toBe(5);
    expect((await p.ctx.store.audit()).problems).toEqual([]);
  });
});
