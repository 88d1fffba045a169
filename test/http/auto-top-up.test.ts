import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { payPendingTopUps } from '../../src/service/auto-top-up.js';
import { seedCustomer, startTestPurse, uid, type TestPurse } from '../helpers.js';

/**
 * Issue 14, part 1 (sandbox): auto top-up buys once per crossing however many
 * reservations cross together, within the monthly limit and the cooldown, and
 * turns itself off after three failures in a row. The worker runs only when a
 * test calls it (its poll is an hour here), so each step is seen as it is.
 */
let p: TestPurse;

beforeAll(async () => {
  p = await startTestPurse({ autoTopUp: { pollMs: 3_600_000, cooldownSeconds: 60 } });
  await p.call('POST', '/v1/test-clock', { now: '2030-03-10T12:00:00.000Z' });
});
afterAll(async () => p.close());

/** One pass of the top-up worker, in this process, on the shared database. */
async function pay(): Promise<number> {
  await p.testClock?.sync();
  return payPendingTopUps(p.ctx, { onError: (_id, err) => { throw err; } });
}

const available = async (c: string) => (await p.call('GET', `/v1/customers/${c}/balance`)).body.available as number;

async function topUpsOf(customerId: string): Promise<any[]> {
  const res = await p.call('GET', `/v1/customers/${customerId}/purchases?limit=100`);
  expect(res.status).toBe(200);
  return (res.body.data as any[]).filter((x) => x.autoTopUp);
}

async function eventTypes(customerId: string): Promise<string[]> {
  const res = await p.call('GET', `/v1/events?customerId=${customerId}&limit=100`);
  return (res.body.data as { type: string }[]).map((e) => e.type).reverse();
}

async function pack(credits: number, amount = 500): Promise<string> {
  const id = uid('pack');
  await p.call('PUT', `/v1/packs/${id}`, { name: `${credits} credits`, credits, price: { amount, currency: 'usd' } });
  return id;
}

async function reserveTogether(customerId: string, toolId: string, n: number): Promise<string[]> {
  const answers = await Promise.all(Array.from({ length: n }, () => p.call('POST', '/v1/generations', { customerId, toolId })));
  expect(answers.map((a) => a.status)).toEqual(Array(n).fill(201));
  return answers.map((a) => a.body.id as string);
}

describe('setting auto top-up', () => {
  it('answers 400 naming the field for bad input, and changes nothing', async () => {
    const { customerId } = await seedCustomer(p, { credits: 100 });
    const packId = await pack(50);
    const good = { enabled: true, threshold: 20, packId };
    const bad: [Record<string, unknown>, string][] = [
      [{ ...good, packId: uid('nopack') }, 'packId'],
      [{ ...good, threshold: 0 }, 'threshold'],
      [{ ...good, threshold: -5 }, 'threshold'],
      [{ ...good, threshold: 2.5 }, 'threshold'],
      [{ ...good, quantity: 0 }, 'quantity'],
      [{ ...good, monthlyLimit: { purchases: 0 } }, 'monthlyLimit.purchases'],
      [{ ...good, monthlyLimit: { amount: -1 } }, 'monthlyLimit.amount'],
      [{ ...good, monthlyLimit: { amount: 499 } }, 'monthlyLimit.amount'],
      [{ ...good, cooldownSeconds: -1 }, 'cooldownSeconds'],
      [{ threshold: 20, packId }, 'enabled'],
    ];
    for (const [body, field] of bad) {
      const res = await p.call('PUT', `/v1/customers/${customerId}/auto-top-up`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
      expect(res.body.error.details.field).toBe(field);
    }
    await p.call('PUT', `/v1/packs/${packId}`, { name: 'old', credits: 50, price: { amount: 500, currency: 'usd' }, active: false });
    const inactive = await p.call('PUT', `/v1/customers/${customerId}/auto-top-up`, good);
    expect(inactive.status).toBe(400);
    expect(inactive.body.error.details.field).toBe('packId');
    const read = await p.call('GET', `/v1/customers/${customerId}/auto-top-up`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ customerId, enabled: false, threshold: null, packId: null, thisMonth: { purchases: 0, amount: 0 } });
    expect((await p.call('PUT', `/v1/customers/${uid('nobody')}/auto-top-up`, good)).status).toBe(404);
  });

  it('reads back what was set, with what one top-up buys', async () => {
    const { customerId } = await seedCustomer(p, { credits: 100 });
    const packId = await pack(50, 700);
    const res = await p.call('PUT', `/v1/customers/${customerId}/auto-top-up`, {
      enabled: true, threshold: 20, packId, quantity: 2, monthlyLimit: { purchases: 3, amount: 5000 }, cooldownSeconds: 10, reason: 'asked by support',
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      enabled: true, threshold: 20, packId, quantity: 2, monthlyLimit: { purchases: 3, amount: 5000 }, cooldownSeconds: 10, reason: 'asked by support',
      topUp: { credits: 100, price: { amount: 1400, currency: 'usd' } }, thisMonth: { month: '2030-03', purchases: 0, amount: 0 },
      state: { armed: true, failuresInRow: 0, pendingPurchaseId: null, lastTopUpAt: null, lastFailure: null },
    });
    expect((await p.call('GET', `/v1/customers/${customerId}/auto-top-up`)).body).toEqual(res.body);
    expect(await topUpsOf(customerId)).toEqual([]);
  });
});

describe('one top-up per crossing', () => {
  it('50 concurrent reservations crossing the threshold together make exactly one top-up, paid off the request path', async () => {
    const { customerId, toolId } = await seedCustomer(p, { credits: 100, toolCredits: 1 });
    const packId = await pack(40);
    await p.call('PUT', `/v1/customers/${customerId}/auto-top-up`, { enabled: true, threshold: 75, packId });
    await reserveTogether(customerId, toolId, 50);
    // The reservations only recorded the top-up; nothing is paid until the worker runs.
    const pending = await topUpsOf(customerId);
    expect(pending).toHaveLength(1);
    expect(pending[0]).toMatchObject({ status: 'pending', credits: 40, autoTopUp: true, provider: 'sandbox' });
    expect(await available(customerId)).toBe(50);
    // Workers in several processes may take the same top-up at once: it is paid and granted once.
    await Promise.all([pay(), pay(), pay()]);
    expect(await pay()).toBe(0);
    const paid = await topUpsOf(customerId);
    expect(paid).toHaveLength(1);
    expect(paid[0]).toMatchObject({ id: pending[0].id, status: 'paid', grantId: `addon:${pending[0].id}` });
    expect(await available(customerId)).toBe(90);
    const types = await eventTypes(customerId);
    expect(types.filter((t) => t === 'auto_top_up.succeeded')).toHaveLength(1);
    expect(types.filter((t) => t === 'purchase.paid')).toHaveLength(1);
    const state = (await p.call('GET', `/v1/customers/${customerId}/auto-top-up`)).body;
    expect(state).toMatchObject({ thisMonth: { purchases: 1, amount: 500 }, state: { armed: true, pendingPurchaseId: null, failuresInRow: 0 } });
  });

  it('holds the monthly limit under repeated storms, and counts a new UTC month afresh', async () => {
    const { customerId, toolId } = await seedCustomer(p, { credits: 100, toolCredits: 1 });
    const packId = await pack(50);
    await p.call('PUT', `/v1/customers/${customerId}/auto-top-up`, { enabled: true, threshold: 60, packId, cooldownSeconds: 0, monthlyLimit: { purchases: 2 } });
    // Each storm: 50 reservations together take the balance from 100 to 50 (a crossing), the worker pays, and the
    // generations are charged, so the next storm starts from what the top-up brought and crosses again.
    for (let storm = 0; storm < 4; storm++) {
      const ids = await reserveTogether(customerId, toolId, 50);
      await pay();
      await Promise.all(ids.map((id) => p.call('POST', `/v1/generations/${id}/complete`, {})));
    }
    const topUps = await topUpsOf(customerId);
    expect(topUps).toHaveLength(2);
    expect(topUps.every((t) => t.status === 'paid')).toBe(true);
    expect(await available(customerId)).toBe(0);
    expect((await p.call('GET', `/v1/customers/${customerId}/auto-top-up`)).body.thisMonth).toEqual({ month: '2030-03', purchases: 2, amount: 1000 });

    // April: the limit starts again, and the first write of the month (still below the threshold) buys.
    await p.call('POST', '/v1/test-clock', { now: '2030-04-01T00:00:01.000Z' });
    expect((await p.call('GET', `/v1/customers/${customerId}/auto-top-up`)).body.thisMonth).toEqual({ month: '2030-04', purchases: 0, amount: 0 });
    await p.call('PUT', `/v1/customers/${customerId}/auto-top-up`, { enabled: true, threshold: 60, packId, cooldownSeconds: 0, monthlyLimit: { purchases: 2 } });
    await pay();
    expect(await topUpsOf(customerId)).toHaveLength(3);
    expect(await available(customerId)).toBe(50);
  });

  it('a customer left out of credits by last month\'s limit gets its top-up at its first reservation of the new month, which is still refused', async () => {
    await p.call('POST', '/v1/test-clock', { now: '2030-07-31T23:00:00.000Z' });
    const { customerId, toolId } = await seedCustomer(p, { credits: 10, toolCredits: 10 });
    const packId = await pack(10);
    await p.call('PUT', `/v1/customers/${customerId}/auto-top-up`, { enabled: true, threshold: 5, packId, cooldownSeconds: 0, monthlyLimit: { purchases: 1 } });
    const spend = async () => {
      const [id] = await reserveTogether(customerId, toolId, 1);
      expect((await p.call('POST', `/v1/generations/${id}/complete`, {})).status).toBe(200);
    };
    await spend(); // 0: the month's one top-up starts
    await pay(); // 10
    await spend(); // 0 again: the month's limit holds it back
    const refused = await p.call('POST', '/v1/generations', { customerId, toolId });
    expect(refused.status).toBe(402);
    expect(await topUpsOf(customerId)).toHaveLength(1);

    // August: nothing else touches the customer; its next reservation is refused for want of credits,
    // and that refusal starts the top-up the new month allows, so the one after it succeeds.
    await p.call('POST', '/v1/test-clock', { now: '2030-08-01T00:00:01.000Z' });
    const again = await p.call('POST', '/v1/generations', { customerId, toolId });
    expect(again.status).toBe(402);
    expect(again.body.error.code).toBe('insufficient_credits');
    expect((await topUpsOf(customerId)).map((t) => t.status)).toEqual(['pending', 'paid']);
    await pay();
    expect((await p.call('POST', '/v1/generations', { customerId, toolId })).status).toBe(201);
  });

  it('enabling while already below the threshold buys one at once; setting it again does not buy another', async () => {
    const { customerId } = await seedCustomer(p, { credits: 10 });
    const packId = await pack(100);
    const set = await p.call('PUT', `/v1/customers/${customerId}/auto-top-up`, { enabled: true, threshold: 50, packId });
    expect(set.status).toBe(200);
    expect(set.body.state).toMatchObject({ armed: false, pendingPurchaseId: expect.any(String) });
    expect(set.body.thisMonth.purchases).toBe(1);
    await p.call('PUT', `/v1/customers/${customerId}/auto-top-up`, { enabled: true, threshold: 60, packId });
    expect(await topUpsOf(customerId)).toHaveLength(1);
    await pay();
    expect(await available(customerId)).toBe(110);
    expect(await topUpsOf(customerId)).toMatchObject([{ status: 'paid' }]);
  });

  it('waits out the cooldown before buying again, and buys nothing while disabled', async () => {
    const { customerId, toolId } = await seedCustomer(p, { credits: 30, toolCredits: 10 });
    const packId = await pack(20);
    await p.call('PUT', `/v1/customers/${customerId}/auto-top-up`, { enabled: true, threshold: 25, packId, cooldownSeconds: 60 });
    await reserveTogether(customerId, toolId, 1); // 20: below
    await pay(); // 40
    await reserveTogether(customerId, toolId, 2); // 20: below again, within the cooldown
    expect(await topUpsOf(customerId)).toHaveLength(1);
    await p.call('POST', '/v1/test-clock', { advanceSeconds: 61 });
    await reserveTogether(customerId, toolId, 1); // 10: still below, the cooldown over
    expect(await topUpsOf(customerId)).toHaveLength(2);
    await pay();
    await p.call('PUT', `/v1/customers/${customerId}/auto-top-up`, { enabled: false, threshold: 25, packId });
    await p.call('POST', '/v1/test-clock', { advanceSeconds: 61 });
    await reserveTogether(customerId, toolId, 2);
    expect(await topUpsOf(customerId)).toHaveLength(2);
  });
});

describe('failures', () => {
  it('three failed top-ups in a row turn auto top-up off and say so', async () => {
    const { customerId, toolId } = await seedCustomer(p, { credits: 10, toolCredits: 1 });
    const packId = await pack(100);
    await p.call('PUT', `/v1/customers/${customerId}/auto-top-up`, { enabled: true, threshold: 50, packId, cooldownSeconds: 0 });
    // The pack is withdrawn: each top-up fails; with no cooldown the next write (the failure's own) buys again.
    await p.call('PUT', `/v1/packs/${packId}`, { name: 'gone', credits: 100, price: { amount: 500, currency: 'usd' }, active: false });
    for (let i = 0; i < 5; i++) await pay();
    const topUps = await topUpsOf(customerId);
    expect(topUps).toHaveLength(3);
    expect(topUps.every((t) => t.status === 'canceled')).toBe(true);
    const types = await eventTypes(customerId);
    expect(types.filter((t) => t === 'auto_top_up.failed')).toHaveLength(3);
    expect(types.filter((t) => t === 'auto_top_up.disabled')).toHaveLength(1);
    expect(types.at(-1)).toBe('auto_top_up.disabled');
    const events = (await p.call('GET', `/v1/events?customerId=${customerId}&type=auto_top_up.failed`)).body.data;
    expect(events.map((e: any) => [e.data.reason, e.data.failuresInRow])).toEqual([['pack_unavailable', 3], ['pack_unavailable', 2], ['pack_unavailable', 1]]);
    const read = (await p.call('GET', `/v1/customers/${customerId}/auto-top-up`)).body;
    expect(read).toMatchObject({ enabled: false, reason: '3 top-ups failed in a row', thisMonth: { purchases: 0, amount: 0 }, state: { failuresInRow: 3, lastFailure: { reason: 'pack_unavailable' } } });
    await reserveTogether(customerId, toolId, 3);
    expect(await topUpsOf(customerId)).toHaveLength(3);
    expect(await available(customerId)).toBe(7);
    // Turned on again (the pack back on offer), it starts afresh and buys.
    await p.call('PUT', `/v1/packs/${packId}`, { name: 'back', credits: 100, price: { amount: 500, currency: 'usd' }, active: true });
    const again = await p.call('PUT', `/v1/customers/${customerId}/auto-top-up`, { enabled: true, threshold: 50, packId, cooldownSeconds: 0 });
    expect(again.body.state.failuresInRow).toBe(0);
    await pay();
    expect(await available(customerId)).toBe(107);
  });

  it('a customer session reads its own auto top-up and may not set it', async () => {
    const { customerId } = await seedCustomer(p, { credits: 10 });
    const packId = await pack(100);
    await p.call('PUT', `/v1/customers/${customerId}/auto-top-up`, { enabled: true, threshold: 5, packId });
    const token = (await p.call('POST', `/v1/customers/${customerId}/sessions`, {})).body.token as string;
    expect((await p.call('GET', `/v1/customers/${customerId}/auto-top-up`, undefined, { auth: token })).body).toMatchObject({ enabled: true, threshold: 5 });
    const set = await p.call('PUT', `/v1/customers/${customerId}/auto-top-up`, { enabled: false, threshold: 5, packId }, { auth: token });
    expect(set.status).toBe(403);
    const other = await seedCustomer(p);
    expect((await p.call('GET', `/v1/customers/${other.customerId}/auto-top-up`, undefined, { auth: token })).status).toBe(403);
  });
});
