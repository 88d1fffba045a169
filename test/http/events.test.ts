import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepDue } from '../../src/service/sweep.js';
import { SERVER_PROCESSES, seedCustomer, startTestPurse, uid, type TestPurse } from '../helpers.js';

/** Issue 12, items 1–4: events written with their change, alerts once per crossing, the feed. */
let p: TestPurse;
const DAY = 86_400;

beforeAll(async () => {
  p = await startTestPurse();
});
afterAll(async () => p.close());

interface EventBody {
  id: string;
  type: string;
  customerId: string;
  sequence: number;
  createdAt: string;
  data: Record<string, any>;
}

/** Every event of a customer, oldest first (the feed pages newest first). */
async function eventsOf(customerId: string): Promise<EventBody[]> {
  const all: EventBody[] = [];
  let cursor: string | null = null;
  do {
    const res: { status: number; body: any } = await p.call('GET', `/v1/events?customerId=${customerId}&limit=7${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(res.status).toBe(200);
    all.push(...res.body.data);
    cursor = res.body.nextCursor;
  } while (cursor);
  return all.reverse();
}
const typesOf = async (c: string) => (await eventsOf(c)).map((e) => e.type);

describe('events written with the change that causes them', () => {
  it('a grant, generations that complete, fail and are refunded, a void: one event each, in order', async () => {
    const { customerId, toolId } = await seedCustomer(p, { credits: 50, toolCredits: 5 });
    const done = await p.call('POST', '/v1/generations', { customerId, toolId });
    await p.call('POST', `/v1/generations/${done.body.id}/complete`, {});
    const failed = await p.call('POST', '/v1/generations', { customerId, toolId });
    await p.call('POST', `/v1/generations/${failed.body.id}/fail`, { reason: 'model crashed' });
    await p.call('POST', `/v1/generations/${done.body.id}/refund`, { reason: 'bad output' });
    // A refused write writes no event.
    expect((await p.call('POST', '/v1/generations', { customerId, toolId, units: 1000 })).status).toBe(402);
    const grants = (await p.call('GET', `/v1/customers/${customerId}/grants`)).body.data;
    await p.call('POST', `/v1/grants/${grants[0].id}/void`, { reason: 'promo ended' });

    const events = await eventsOf(customerId);
    expect(events.map((e) => e.type)).toEqual(['credits.granted', 'generation.completed', 'generation.failed', 'generation.refunded', 'credits.voided', 'credits.depleted']);
    expect(events.map((e) => e.sequence)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(events[0]!.data.grant).toMatchObject({ customerId, source: 'bonus', amount: 50 });
    expect(events[1]!.data.generation).toMatchObject({ id: done.body.id, status: 'completed', charged: 5 });
    expect(events[2]!.data).toMatchObject({ reason: 'other', message: 'model crashed', generation: { id: failed.body.id, status: 'failed', failureReason: 'other', failureMessage: 'model crashed' } });
    expect(events[3]!.data).toMatchObject({ amount: 5, generation: { refunded: 5 } });
    expect(events[4]!.data).toMatchObject({ amount: 50, reason: 'promo ended' });
    for (const e of events) expect(e).toMatchObject({ customerId, id: expect.stringMatching(/^evt_/) });
    expect((await p.call('GET', `/v1/events/${events[1]!.id}`)).body).toEqual(events[1]);
    expect((await p.call('GET', `/v1/events?customerId=${customerId}&type=generation.failed`)).body.data.map((e: EventBody) => e.id)).toEqual([events[2]!.id]);
  });

  it('a hold that runs out fails with reason timeout; purchases are paid and refunded', async () => {
    const { customerId, toolId } = await seedCustomer(p, { credits: 10, toolCredits: 2, holdSeconds: 60 });
    const pack = uid('pack');
    await p.call('PUT', `/v1/packs/${pack}`, { name: 'Pack', credits: 100, price: { amount: 500, currency: 'usd' } });
    const held = await p.call('POST', '/v1/generations', { customerId, toolId });
    await p.call('POST', '/v1/test-clock', { advanceSeconds: 61 });
    expect((await p.call('GET', `/v1/generations/${held.body.id}`)).body.status).toBe('failed');
    const bought = await p.call('POST', `/v1/customers/${customerId}/purchases`, { packId: pack });
    await p.call('POST', `/v1/purchases/${bought.body.id}/refund`, { reason: 'asked' });
    const events = await eventsOf(customerId);
    expect(events.map((e) => e.type)).toEqual(['credits.granted', 'generation.failed', 'credits.granted', 'purchase.paid', 'credits.voided', 'purchase.refunded']);
    expect(events[1]!.data.reason).toBe('timeout');
    expect(events[3]!.data.purchase).toMatchObject({ id: bought.body.id, status: 'paid' });
  });

  it('subscriptions: started, changed by an upgrade, canceled, renewed, and the period end expires plan credits', async () => {
    const customerId = uid('cus');
    const [pro, max] = [uid('plan'), uid('plan')];
    await p.call('PUT', `/v1/plans/${pro}`, { name: 'Pro', creditsPerPeriod: 100, period: 'day', price: { amount: 100, currency: 'usd' } });
    await p.call('PUT', `/v1/plans/${max}`, { name: 'Max', creditsPerPeriod: 300, period: 'day', price: { amount: 200, currency: 'usd' } });
    await p.call('PUT', `/v1/customers/${customerId}`, {});
    // Daily plan credits are always within a week of expiring: no announcements here.
    await p.call('PUT', `/v1/customers/${customerId}/alerts`, { expiringSoonDays: 0 });
    await p.call('PUT', `/v1/customers/${customerId}/subscription`, { planId: pro });
    await p.call('PUT', `/v1/customers/${customerId}/subscription`, { planId: max });
    await p.call('POST', '/v1/test-clock', { advanceSeconds: DAY });
    await p.call('GET', `/v1/customers/${customerId}/balance`);
    await p.call('DELETE', `/v1/customers/${customerId}/subscription`);
    expect(await typesOf(customerId)).toEqual([
      'subscription.started',
      'credits.granted',
      'credits.expired',
      'subscription.changed',
      'credits.granted',
      'credits.expired',
      'subscription.renewed',
      'credits.granted',
      'subscription.canceled',
    ]);
  });
});

describe('alerts (Rule 15)', () => {
  it('settings: defaults, then the customer\'s own; bad input names the field and changes nothing', async () => {
    const { customerId } = await seedCustomer(p);
    expect((await p.call('GET', `/v1/customers/${customerId}/alerts`)).body).toEqual({ lowBalance: [], expiringSoonDays: 7 });
    expect((await p.call('PUT', `/v1/customers/${customerId}/alerts`, { lowBalance: [100, 10] })).body).toEqual({ lowBalance: [100, 10], expiringSoonDays: 7 });
    const bad = await p.call('PUT', `/v1/customers/${customerId}/alerts`, { lowBalance: [0] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.field).toMatch(/^lowBalance/);
    expect((await p.call('GET', `/v1/customers/${customerId}/alerts`)).body.lowBalance).toEqual([100, 10]);
    expect((await p.call('PUT', `/v1/customers/${uid('nobody')}/alerts`, { lowBalance: [5] })).status).toBe(404);
  });

  it('credits.low fires once per downward crossing and arms again only above it; credits.depleted at zero', async () => {
    const { customerId, toolId } = await seedCustomer(p, { credits: 120, toolCredits: 10 });
    await p.call('PUT', `/v1/customers/${customerId}/alerts`, { lowBalance: [100, 50] });
    const spend = async (units: number) => {
      const r = await p.call('POST', '/v1/generations', { customerId, toolId, units });
      expect(r.status).toBe(201);
      await p.call('POST', `/v1/generations/${r.body.id}/complete`, {});
    };
    await spend(3); // 90: crosses 100
    await spend(1); // 80: below, no crossing
    await p.call('POST', `/v1/customers/${customerId}/grants`, { amount: 40, source: 'bonus', reason: 'top up' }); // 120: armed again
    await spend(8); // 40: crosses 100 and 50
    await spend(4); // 0: depleted
    const low = (await eventsOf(customerId)).filter((e) => e.type === 'credits.low' || e.type === 'credits.depleted');
    expect(low.map((e) => [e.type, e.data.threshold ?? null, e.data.balance.available])).toEqual([
      ['credits.low', 100, 90],
      ['credits.low', 100, 40],
      ['credits.low', 50, 40],
      ['credits.depleted', null, 0],
    ]);
  });

  it('50 concurrent reservations that cross a threshold together raise it once', async () => {
    const { customerId, toolId } = await seedCustomer(p, { credits: 100, toolCredits: 1 });
    await p.call('PUT', `/v1/customers/${customerId}/alerts`, { lowBalance: [75] });
    const answers = await Promise.all(Array.from({ length: 50 }, () => p.call('POST', '/v1/generations', { customerId, toolId })));
    expect(answers.every((r) => r.status === 201)).toBe(true);
    const low = (await eventsOf(customerId)).filter((e) => e.type === 'credits.low');
    expect(low).toHaveLength(1);
    expect(low[0]!.data.balance.available).toBe(74);
  });

  it('credits.expiring_soon fires once per grant, found by the sweep without any request, and the balance shows it', async () => {
    const { customerId } = await seedCustomer(p);
    await p.call('PUT', `/v1/customers/${customerId}/alerts`, { expiringSoonDays: 3 });
    const now = Date.parse((await p.call('GET', '/v1/test-clock')).body.now);
    const expiresAt = new Date(now + 10 * DAY * 1000).toISOString();
    await p.call('POST', `/v1/customers/${customerId}/grants`, { amount: 30, source: 'bonus', reason: 'promo', expiresAt });
    expect((await p.call('GET', `/v1/customers/${customerId}/balance`)).body.expiringSoon).toBeNull();
    await p.call('POST', '/v1/test-clock', { advanceSeconds: 8 * DAY });
    if (SERVER_PROCESSES === 0) await sweepDue(p.ctx);
    else await p.call('GET', `/v1/customers/${customerId}/ledger`); // the servers' own sweep runs every hour here; any write catches up
    await waitFor(async () => (await typesOf(customerId)).includes('credits.expiring_soon'));
    await sweepDue(p.ctx);
    await p.call('POST', '/v1/test-clock', { advanceSeconds: 60 });
    await sweepDue(p.ctx);
    const soon = (await eventsOf(customerId)).filter((e) => e.type === 'credits.expiring_soon');
    expect(soon).toHaveLength(1);
    expect(soon[0]!.data).toMatchObject({ credits: 30, expiresAt });
    expect((await p.call('GET', `/v1/customers/${customerId}/balance`)).body.expiringSoon).toEqual({ credits: 30, expiresAt });
    await p.call('POST', '/v1/test-clock', { advanceSeconds: 2 * DAY });
    await p.call('GET', `/v1/customers/${customerId}/balance`);
    expect((await typesOf(customerId)).slice(-1)).toEqual(['credits.expired']);
  });
});

describe('the events feed', () => {
  it('pages every event once, newest first, and refuses a cursor it did not give', async () => {
    const { customerId, toolId } = await seedCustomer(p, { credits: 100 });
    for (let i = 0; i < 9; i++) {
      const r = await p.call('POST', '/v1/generations', { customerId, toolId });
      await p.call('POST', `/v1/generations/${r.body.id}/complete`, {});
    }
    const events = await eventsOf(customerId);
    expect(events).toHaveLength(10);
    expect(new Set(events.map((e) => e.id)).size).toBe(10);
    expect(events.map((e) => e.sequence)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const bad = await p.call('GET', '/v1/events?cursor=nonsense');
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.field).toBe('cursor');
    expect((await p.call('GET', '/v1/events?type=credits.nope')).status).toBe(400);
    expect((await p.call('GET', `/v1/events/${uid('evt')}`)).status).toBe(404);
    const global = (await p.call('GET', '/v1/events?limit=100')).body.data as EventBody[];
    expect(global.length).toBeGreaterThanOrEqual(10);
  });
});

async function waitFor(check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}
