import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Purse, PurseError, type FetchLike } from '../../sdk/src/index.js';
import { payPendingTopUps } from '../../src/service/auto-top-up.js';
import { startTestPurse, TEST_API_KEY, uid, type TestPurse } from '../helpers.js';

let server: TestPurse;
let purse: Purse;
let baseUrl: string;

interface Sent {
  method: string;
  url: string;
  body: string | undefined;
  idempotencyKey: string | undefined;
}

/**
 * A transport that loses answers: every request reaches the real server, and
 * `lose(req, sent)` (sent: every request so far) decides whether the answer is dropped on the way back
 * ('network': the connection breaks; 502: a gateway error; 429: a rate limit
 * asking to come back in a second) or delivered.
 */
function lossy(lose: (req: Sent, sent: Sent[]) => 'network' | 502 | 429 | undefined): { fetch: FetchLike; sent: Sent[] } {
  const sent: Sent[] = [];
  const fetchLike: FetchLike = async (url, init) => {
    const req = { method: init.method, url, body: init.body, idempotencyKey: init.headers['idempotency-key'] };
    sent.push(req);
    const res = await fetch(url, init);
    const fault = lose(req, sent);
    if (fault === 'network') throw new TypeError('fetch failed: connection reset');
    if (fault === 502) return new Response('<html>Bad Gateway</html>', { status: 502 });
    if (fault === 429) return new Response('{"error":{"code":"rate_limited","message":"slow down"},"requestId":"r"}', { status: 429, headers: { 'retry-after': '1' } });
    return res;
  };
  return { fetch: fetchLike, sent };
}

async function listen(p: TestPurse): Promise<string> {
  await p.app.listen({ port: 0, host: '127.0.0.1' });
  const address = p.app.server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}

async function seed(client: Purse, credits: number, toolCredits: number, holdSeconds?: number) {
  const customerId = uid('sdk');
  const toolId = uid('tool');
  await client.putTool(toolId, { name: 'Tool', credits: toolCredits, ...(holdSeconds ? { holdSeconds } : {}) });
  await client.putCustomer(customerId, { name: 'SDK' });
  await client.grant(customerId, { amount: credits, source: 'bonus', reason: 'sdk test' });
  return { customerId, toolId };
}

beforeAll(async () => {
  server = await startTestPurse({ autoTopUp: { pollMs: 3_600_000, cooldownSeconds: 60 } });
  baseUrl = await listen(server);
  purse = new Purse({ baseUrl, apiKey: TEST_API_KEY });
});
afterAll(async () => server.close());

describe('the SDK against a real server', () => {
  it('generate charges the cost of a successful job and returns its result', async () => {
    const { customerId, toolId } = await seed(purse, 50, 4);
    const { generation, result } = await purse.generate(customerId, toolId, async ({ generation }) => `image for ${generation.id}`, { units: 3 });
    expect(result).toBe(`image for ${generation.id}`);
    expect(generation).toMatchObject({ status: 'completed', charged: 12 });
    expect((await purse.balance(customerId)).available).toBe(38);
  });

  it('charges fewer units when the job says so', async () => {
    const { customerId, toolId } = await seed(purse, 50, 4);
    const { generation } = await purse.generate(customerId, toolId, async () => ({ value: 'two images', units: 2 }), { units: 5 });
    expect(generation).toMatchObject({ chargedUnits: 2, charged: 8 });
    expect((await purse.balance(customerId)).available).toBe(42);
  });

  it('fails the generation, returns the credits and rethrows the same error when the job throws', async () => {
    const { customerId, toolId } = await seed(purse, 50, 4);
    const boom = new Error('the model ran out of memory');
    let reserved = 0;
    const caught = await purse
      .generate(customerId, toolId, async () => {
        reserved = (await purse.balance(customerId)).reserved;
        throw boom;
      })
      .catch((e: unknown) => e);
    expect(caught).toBe(boom);
    expect(reserved).toBe(4);
    expect(await purse.balance(customerId)).toMatchObject({ available: 50, reserved: 0 });
    const [gen] = (await purse.listGenerations(customerId)).data;
    expect(gen).toMatchObject({ status: 'failed', failureReason: 'other', failureMessage: 'the model ran out of memory' });
  });

  it('refuses before the job runs when credits are short', async () => {
    const { customerId, toolId } = await seed(purse, 3, 4);
    let ran = false;
    const err = await purse.generate(customerId, toolId, async () => (ran = true)).catch((e: unknown) => e);
    expect(ran).toBe(false);
    expect(err).toBeInstanceOf(PurseError);
    expect(err).toMatchObject({ status: 402, code: 'insufficient_credits', details: { available: 3, required: 4 } });
  });

  it('keeps extending the hold while a slow job runs', async () => {
    // The real clock and a fast sweep: without extensions the 2-second hold would time out.
    const live = await startTestPurse({ testClock: false, sweepSeconds: 0.2 });
    try {
      const client = new Purse({ baseUrl: await listen(live), apiKey: TEST_API_KEY });
      const { customerId, toolId } = await seed(client, 10, 1, 2);
      const { generation } = await client.generate(customerId, toolId, () => new Promise((r) => setTimeout(() => r('done'), 3500)), {
        holdSeconds: 2,
        extendEverySeconds: 0.5,
      });
      expect(generation.status).toBe('completed');
      expect((await client.balance(customerId)).available).toBe(9);
    } finally {
      await live.close();
    }
  });

  it('pages through the whole ledger', async () => {
    const { customerId, toolId } = await seed(purse, 100, 1);
    for (let i = 0; i < 12; i++) await purse.generate(customerId, toolId, async () => i);
    const entries = [];
    for await (const e of purse.ledgerEntries(customerId, 5)) entries.push(e);
    // 1 grant + 12 × (reserve + charge).
    expect(entries).toHaveLength(25);
    expect(new Set(entries.map((e) => e.id)).size).toBe(25);
    expect(entries.at(-1)!.type).toBe('grant');
  });

  it('retries a reservation safely: the same id creates one generation', async () => {
    const { customerId, toolId } = await seed(purse, 10, 1);
    const id = uid('gen');
    const a = await purse.reserve({ id, customerId, toolId });
    const b = await purse.reserve({ id, customerId, toolId });
    expect(b).toEqual(a);
    expect((await purse.balance(customerId)).reserved).toBe(1);
  });

  it('makes the generation id before the first attempt, so a retry after a lost answer reserves once', async () => {
    const { customerId, toolId } = await seed(purse, 10, 3);
    const t = lossy((req, sent) => (sent.length === 1 && req.url.endsWith('/v1/generations') ? 'network' : undefined));
    const client = new Purse({ baseUrl, apiKey: TEST_API_KEY, fetch: t.fetch, retryDelayMs: 1 });
    const gen = await client.reserve({ id: undefined, customerId, toolId });
    expect(t.sent).toHaveLength(2);
    const ids = t.sent.map((r) => JSON.parse(r.body!).id);
    expect(ids[0]).toEqual(expect.any(String));
    expect(ids[1]).toBe(ids[0]);
    expect(gen.id).toBe(ids[0]);
    expect(await purse.balance(customerId)).toMatchObject({ available: 7, reserved: 3 });
  });

  it('generate survives lost answers to its reserve and complete: one generation, charged once', async () => {
    const { customerId, toolId } = await seed(purse, 10, 2);
    const t = lossy((req, sent) => (req.method === 'POST' && sent.filter((r) => r.url === req.url).length === 1 ? 'network' : undefined));
    const client = new Purse({ baseUrl, apiKey: TEST_API_KEY, fetch: t.fetch, retryDelayMs: 1 });
    const { generation } = await client.generate(customerId, toolId, async () => 'ok', { units: 2 });
    expect(generation).toMatchObject({ status: 'completed', charged: 4 });
    expect(t.sent.map((r) => `${r.method} ${new URL(r.url).pathname}`)).toEqual([
      'POST /v1/generations',
      'POST /v1/generations',
      `POST /v1/generations/${generation.id}/complete`,
      `POST /v1/generations/${generation.id}/complete`,
    ]);
    expect((await purse.listGenerations(customerId)).data).toHaveLength(1);
    expect(await purse.balance(customerId)).toMatchObject({ available: 6, reserved: 0 });
  });

  it('retries a grant and a purchase after a 502 with the same Idempotency-Key: one grant, one purchase', async () => {
    const customerId = uid('sdk');
    const packId = uid('pack');
    await purse.putCustomer(customerId);
    await purse.putPack(packId, { name: 'Pack', credits: 100, price: { amount: 500, currency: 'usd' } });
    const t = lossy((req, sent) => (req.method === 'POST' && sent.filter((r) => r.url === req.url).length === 1 ? 502 : undefined));
    const client = new Purse({ baseUrl, apiKey: TEST_API_KEY, fetch: t.fetch, retryDelayMs: 1 });
    await client.grant(customerId, { amount: 5, source: 'bonus', reason: 'welcome' });
    const purchase = await client.buyPack(customerId, packId);
    expect(purchase.status).toBe('paid');
    expect(t.sent).toHaveLength(4);
    expect(t.sent[1]!.idempotencyKey).toEqual(t.sent[0]!.idempotencyKey);
    expect(t.sent[3]!.idempotencyKey).toEqual(t.sent[2]!.idempotencyKey);
    expect(t.sent[0]!.idempotencyKey).not.toEqual(t.sent[2]!.idempotencyKey);
    expect((await purse.balance(customerId)).available).toBe(105);
    expect((await purse.listPurchases(customerId)).data).toHaveLength(1);
  });

  it('gives up after the configured retries, and never repeats a write that is not safe to repeat', async () => {
    const down = lossy(() => 'network');
    const client = new Purse({ baseUrl, apiKey: TEST_API_KEY, fetch: down.fetch, retries: 3, retryDelayMs: 1 });
    await expect(client.getTool('anything')).rejects.toThrow(/connection reset/);
    expect(down.sent).toHaveLength(4);

    const before = await purse.getTestClock();
    const once = lossy(() => 'network');
    const mover = new Purse({ baseUrl, apiKey: TEST_API_KEY, fetch: once.fetch, retryDelayMs: 1 });
    await expect(mover.moveTestClock({ advanceSeconds: 1 })).rejects.toThrow(/connection reset/);
    expect(once.sent).toHaveLength(1);
    expect(Date.parse(await purse.getTestClock()) - Date.parse(before)).toBe(1000);
  });

  it('waits as long as Retry-After says on a 429, and never retries an answer that is not a 429 or 5xx', async () => {
    const { customerId, toolId } = await seed(purse, 10, 1);
    const limited = lossy((_req, sent) => (sent.length === 1 ? 429 : undefined));
    const client = new Purse({ baseUrl, apiKey: TEST_API_KEY, fetch: limited.fetch, retryDelayMs: 1 });
    const started = Date.now();
    const gen = await client.reserve({ customerId, toolId });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(limited.sent).toHaveLength(2);
    await client.fail(gen.id);
    const settled = await client.complete(gen.id).catch((e: unknown) => e);
    expect(settled).toMatchObject({ status: 409, code: 'generation_settled' });
    expect(limited.sent.filter((r) => r.url.endsWith('/complete'))).toHaveLength(1);
  });

  it('sets and reads limits; a spend limit and the in-flight cap refuse with their details, and the cap is not retried', async () => {
    const { customerId, toolId } = await seed(purse, 500, 10);
    const set = await purse.setLimits(customerId, { daily: 25, tools: { [toolId]: { monthly: 300 } }, maxInFlight: 2, reason: 'pilot' });
    expect(set).toMatchObject({ own: { daily: 25, maxInFlight: 2 }, reason: 'pilot', effective: { daily: { value: 25, source: 'customer' } } });
    await purse.reserve({ customerId, toolId, units: 2 });
    expect(await purse.getLimits(customerId)).toMatchObject({ used: { day: 20, month: 20, tools: { [toolId]: { day: 20, month: 20 } } }, inFlight: 1 });
    const over = (await purse.reserve({ customerId, toolId }).catch((e: unknown) => e)) as PurseError;
    expect(over).toMatchObject({ status: 402, code: 'spend_limit_reached', details: { scope: 'customer', window: 'day', limit: 25, used: 20, required: 10 } });

    await purse.setLimits(customerId, { maxInFlight: 1 });
    const counted = lossy(() => undefined);
    const client = new Purse({ baseUrl, apiKey: TEST_API_KEY, fetch: counted.fetch, retryDelayMs: 1 });
    const busy = (await client.reserve({ customerId, toolId }).catch((e: unknown) => e)) as PurseError;
    expect(busy).toMatchObject({ status: 429, code: 'too_many_in_flight', details: { limit: 1, inFlight: 1 } });
    expect(counted.sent).toHaveLength(1);
  });

  it('fails with a reason and message, reports a bad result once, and retries free', async () => {
    const { customerId, toolId } = await seed(purse, 100, 10);
    await purse.putTool(toolId, { name: 'Tool', credits: 10, refundPolicy: { safety_blocked: 20, bad_result: 50 }, reportWindowHours: 1 });
    const planId = uid('plan');
    expect(await purse.putPlan(planId, { name: 'Retry', creditsPerPeriod: 0, price: { amount: 0, currency: 'usd' }, freeRetriesPerPeriod: 1, maxReportsPerDay: null })).toMatchObject({ freeRetriesPerPeriod: 1, maxReportsPerDay: null });
    await purse.subscribe(customerId, planId);
    const blocked = await purse.reserve({ customerId, toolId });
    expect(await purse.fail(blocked.id, 'safety_blocked', 'nsfw filter')).toMatchObject({ failureReason: 'safety_blocked', failureMessage: 'nsfw filter', charged: 8 });
    const retry = await purse.reserve({ customerId, toolId, retryOf: blocked.id });
    expect(retry).toMatchObject({ freeRetry: true, retryOf: blocked.id });
    expect(await purse.complete(retry.id)).toMatchObject({ charged: 0 });
    const done = await purse.complete((await purse.reserve({ customerId, toolId })).id);
    expect(await purse.report(done.id, { note: 'blurry' })).toMatchObject({ refunded: 5 });
    const again = (await purse.report(done.id).catch((e: unknown) => e)) as PurseError;
    expect(again).toMatchObject({ status: 409, code: 'already_reported' });
    expect((await purse.balance(customerId)).available).toBe(100 - 8 - 5);
  });

  it("errors carry the contract's code, status, details and request id", async () => {
    const err = (await purse.putTool(uid('tool'), { name: 'Bad', credits: -1 }).catch((e: unknown) => e)) as PurseError;
    expect(err).toBeInstanceOf(PurseError);
    expect(err).toMatchObject({ status: 400, code: 'invalid_request', details: { field: 'credits' } });
    expect(err.requestId).toEqual(expect.any(String));
    const missing = (await purse.getGeneration(uid('gen')).catch((e: unknown) => e)) as PurseError;
    expect(missing).toMatchObject({ status: 404, code: 'not_found' });
  });

  it('sets and reads auto top-up; enabled below the threshold, one top-up is bought and paid off the request path', async () => {
    const { customerId } = await seed(purse, 10, 1);
    const packId = uid('pack');
    await purse.putPack(packId, { name: '100 credits', credits: 100, price: { amount: 900, currency: 'usd' } });
    expect(await purse.getAutoTopUp(customerId)).toMatchObject({ enabled: false, threshold: null });
    const set = await purse.setAutoTopUp(customerId, { enabled: true, threshold: 50, packId, monthlyLimit: { purchases: 3 }, reason: 'sdk test' });
    expect(set).toMatchObject({ enabled: true, threshold: 50, packId, quantity: 1, monthlyLimit: { purchases: 3, amount: null }, thisMonth: { purchases: 1 }, reason: 'sdk test' });
    await payPendingTopUps(server.ctx);
    expect((await purse.balance(customerId)).available).toBe(110);
    const topUps = (await purse.listPurchases(customerId)).data.filter((p) => p.autoTopUp);
    expect(topUps).toMatchObject([{ status: 'paid', credits: 100, autoTopUp: true }]);
    expect((await purse.getAutoTopUp(customerId)).state).toMatchObject({ armed: true, pendingPurchaseId: null, failuresInRow: 0 });
    const bad = (await purse.setAutoTopUp(customerId, { enabled: true, threshold: 50, packId: uid('nopack') }).catch((e: unknown) => e)) as PurseError;
    expect(bad).toMatchObject({ status: 400, code: 'invalid_request', details: { field: 'packId' } });
  });

  it('covers the catalog, subscriptions with a reason, purchases, grants, reports and search', async () => {
    const customerId = uid('sdk');
    const [toolId, planId, bigPlanId, packId] = [uid('tool'), uid('plan'), uid('plan'), uid('pack')];
    expect(await purse.putTool(toolId, { name: 'Upscale', credits: 2, unit: 'image' })).toMatchObject({ id: toolId, credits: 2, unit: 'image' });
    await purse.putTool(toolId, { name: 'Upscale', credits: 3, unit: 'image' });
    expect((await purse.toolPrices(toolId)).map((p) => p.credits).sort()).toEqual([2, 3]);
    expect((await purse.listTools()).some((t) => t.id === toolId)).toBe(true);
    await purse.putPlan(planId, { name: 'Pro', creditsPerPeriod: 50, price: { amount: 900, currency: 'usd' } });
    await purse.putPlan(bigPlanId, { name: 'Max', creditsPerPeriod: 200, price: { amount: 2900, currency: 'usd' }, rollover: { max: 20 } });
    await purse.putPack(packId, { name: 'Pack', credits: 30, price: { amount: 300, currency: 'usd' } });
    expect((await purse.listPlans()).map((p) => p.id)).toEqual(expect.arrayContaining([planId, bigPlanId]));
    expect((await purse.listPacks()).map((p) => p.id)).toContain(packId);
    const pricing = await purse.pricing();
    expect(pricing.tools.find((t) => t.id === toolId)).toMatchObject({ credits: 3 });
    expect(pricing.packs.find((p) => p.id === packId)).toMatchObject({ credits: 30 });

    await purse.putCustomer(customerId, { name: 'Ada Lovelace', email: `${customerId}@example.com` });
    expect((await purse.searchCustomers(customerId)).map((c) => c.id)).toEqual([customerId]);
    expect(await purse.subscribe(customerId, planId, { reason: 'trial converted' })).toMatchObject({ planId, effect: 'started', changeReason: 'trial converted' });
    // A second later: an upgrade in the same millisecond as the period start loses its credits (issue 10, item 1).
    await purse.moveTestClock({ advanceSeconds: 1 });
    expect(await purse.subscribe(customerId, bigPlanId, { reason: 'needs more' })).toMatchObject({ planId: bigPlanId, effect: 'upgraded', changeReason: 'needs more' });
    expect(await purse.cancelSubscription(customerId, { reason: 'too expensive' })).toMatchObject({ cancelAtPeriodEnd: true, changeReason: 'too expensive' });
    expect(await purse.getSubscription(customerId)).toMatchObject({ planId: bigPlanId, cancelAtPeriodEnd: true });
    expect(await purse.subscribe(customerId, bigPlanId)).toMatchObject({ effect: 'resumed', cancelAtPeriodEnd: false });
    expect(await purse.cancelSubscription(customerId)).toMatchObject({ cancelAtPeriodEnd: true });

    const purchase = await purse.buyPack(customerId, packId);
    expect(await purse.getPurchase(purchase.id)).toEqual(purchase);
    expect((await purse.listPurchases(customerId, { limit: 5 })).data.map((p) => p.id)).toEqual([purchase.id]);
    const grant = await purse.grant(customerId, { amount: 7, source: 'adjustment', reason: 'goodwill' });
    expect((await purse.balance(customerId)).available).toBe(200 + 30 + 7);
    expect(await purse.voidGrant(grant.id, 'by mistake')).toMatchObject({ id: grant.id, remaining: 0 });
    expect(await purse.refundPurchase(purchase.id, 'not wanted')).toMatchObject({ status: 'refunded' });
    expect((await purse.listGrants(customerId)).map((g) => g.source).sort()).toEqual(['addon', 'adjustment', 'plan', 'plan']);
    expect((await purse.balance(customerId)).available).toBe(200);

    const { generation } = await purse.generate(customerId, toolId, async () => 'done');
    const refunded = await purse.refund(generation.id, { reason: 'bad result', amount: 1 });
    expect(refunded).toMatchObject({ charged: 3, refunded: 1 });
    expect((await purse.getGeneration(generation.id)).refunded).toBe(1);
    const tools = await purse.toolsReport();
    expect(tools.find((t) => t.toolId === toolId)).toMatchObject({ generations: 1, completed: 1, creditsCharged: 3, creditsRefunded: 1 });
    const credits = await purse.creditsReport();
    expect(credits.totals.spent).toBeGreaterThanOrEqual(3);
    expect(credits.days.length).toBe(30);
    expect((await purse.outstanding()).total).toBeGreaterThanOrEqual(198);
    const revenue = await purse.revenueReport({ currency: 'usd' });
    expect(revenue.days.length).toBe(30);
    const t = revenue.totals;
    expect(t.deferred).toBe(revenue.openingDeferred + t.paidIn - t.revenue - t.refunds - t.breakage);
    expect(t.paidIn).toBeGreaterThan(0);
    const csv = await purse.revenueReportCsv({ currency: 'usd' });
    expect(csv.split('\n')[0]).toBe('date,paidIn,revenue,reversed,refunds,breakage,deferred');
    expect(csv.trim().split('\n')).toHaveLength(31);
    await expect(purse.revenueReport({ currency: 'US' })).rejects.toMatchObject({ status: 400, code: 'invalid_request' });
    const session = await purse.createSession(customerId, 600);
    const asCustomer = new Purse({ baseUrl, apiKey: session.token });
    expect((await asCustomer.balance(customerId)).available).toBe(198);
    await expect(asCustomer.putTool(uid('tool'), { name: 'No', credits: 1 })).rejects.toMatchObject({ status: 403, code: 'forbidden' });
  });
});
