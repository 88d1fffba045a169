import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAILURE_REASONS } from '../../src/domain/refunds.js';
import { seedCustomer, startTestPurse, uid, type TestPurse } from '../helpers.js';

/**
 * Refunds that follow the cause (issue 16, items 1–4), through HTTP on both
 * stores: failure reasons and each tool's refund policy, reports of a bad
 * result within the tool's window, and free retries per plan period. The test
 * clock starts on a fixed day and only moves forward.
 */
let p: TestPurse;
beforeAll(async () => {
  p = await startTestPurse();
  await p.call('POST', '/v1/test-clock', { now: '2032-05-10T12:00:00.000Z' });
});
afterAll(async () => {
  await p?.close();
});

const available = async (customerId: string) => (await p.call('GET', `/v1/customers/${customerId}/balance`)).body.available as number;
const ledger = async (customerId: string) => (await p.call('GET', `/v1/customers/${customerId}/ledger?limit=100`)).body.data as { type: string; amount: number; reason: string | null; generationId: string | null }[];
const eventsOf = async (customerId: string, type: string) => (await p.call('GET', `/v1/events?customerId=${customerId}&type=${type}&limit=100`)).body.data as { data: Record<string, any> }[];
const reserve = async (customerId: string, toolId: string, extra: Record<string, unknown> = {}) => {
  const res = await p.call('POST', '/v1/generations', { customerId, toolId, ...extra });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; freeRetry: boolean; retryOf: string | null; cost: number };
};
const auditProblems = async () => (await p.ctx.store.audit()).problems;

/** A customer subscribed to a plan of 0 credits a month with these refund settings, holding `credits` bonus credits. */
async function subscribed(plan: Record<string, unknown>, credits = 1000, toolCredits = 10) {
  const { customerId, toolId } = await seedCustomer(p, { credits, toolCredits });
  const planId = uid('plan');
  const put = await p.call('PUT', `/v1/plans/${planId}`, { name: 'Plan', creditsPerPeriod: 0, price: { amount: 0, currency: 'usd' }, ...plan });
  expect(put.status, JSON.stringify(put.body)).toBe(201);
  expect((await p.call('PUT', `/v1/customers/${customerId}/subscription`, { planId })).status).toBeLessThan(300);
  return { customerId, toolId, planId };
}

describe('failure reasons and refund policies', () => {
  it('each reason returns its percent of the cost, floor(cost × percent / 100), and charges the rest; the ledger and events name the rule', async () => {
    const policy = { provider_error: 100, timeout: 50, safety_blocked: 0, user_canceled: 90, bad_result: 25, other: 75 };
    const { customerId, toolId } = await seedCustomer(p, { credits: 1000, toolCredits: 5 });
    const put = await p.call('PUT', `/v1/tools/${toolId}`, { name: 'Tool', credits: 5, refundPolicy: policy });
    expect(put.body).toMatchObject({ refundPolicy: policy, reportWindowHours: 24 });
    let balance = 1000;
    for (const reason of FAILURE_REASONS) {
      const gen = await reserve(customerId, toolId);
      const failed = await p.call('POST', `/v1/generations/${gen.id}/fail`, { reason, message: `because ${reason}` });
      expect(failed.status).toBe(200);
      const returned = Math.floor((5 * policy[reason]) / 100);
      expect(failed.body, reason).toMatchObject({ status: 'failed', failureReason: reason, failureMessage: `because ${reason}`, charged: 5 - returned });
      balance -= 5 - returned;
      expect(await available(customerId), reason).toBe(balance);
      const rule = `refund_policy:${reason}:${policy[reason]}`;
      const entries = (await ledger(customerId)).filter((e) => e.generationId === gen.id && e.type !== 'reserve');
      expect(entries.length, reason).toBeGreaterThan(0);
      expect(entries.every((e) => e.reason === rule), JSON.stringify(entries)).toBe(true);
      expect(entries.filter((e) => e.type === 'charge').reduce((s, e) => s + e.amount, 0)).toBe(5 - returned);
      expect(entries.filter((e) => e.type === 'release').reduce((s, e) => s + e.amount, 0)).toBe(returned);
      const event = (await eventsOf(customerId, 'generation.failed')).find((e) => e.data.generation.id === gen.id)!;
      expect(event.data, reason).toMatchObject({ reason, message: `because ${reason}`, refund: { rule, percent: policy[reason], returned, charged: 5 - returned } });
    }
    expect(await auditProblems()).toEqual([]);
  });

  it('without a policy of its own a tool takes the default: safety_blocked keeps everything, the rest returns everything', async () => {
    const { customerId, toolId } = await seedCustomer(p, { credits: 100, toolCredits: 10 });
    expect((await p.call('GET', `/v1/tools/${toolId}`)).body).toMatchObject({ refundPolicy: null, reportWindowHours: 24 });
    const blocked = await reserve(customerId, toolId);
    expect((await p.call('POST', `/v1/generations/${blocked.id}/fail`, { reason: 'safety_blocked' })).body).toMatchObject({ status: 'failed', charged: 10 });
    const canceled = await reserve(customerId, toolId);
    expect((await p.call('POST', `/v1/generations/${canceled.id}/fail`, { reason: 'user_canceled' })).body).toMatchObject({ status: 'failed', charged: 0 });
    expect(await available(customerId)).toBe(90);
    // A tool that sets one reason keeps the default for the others.
    await p.call('PUT', `/v1/tools/${toolId}`, { name: 'Tool', credits: 10, refundPolicy: { safety_blocked: 100 } });
    const again = await reserve(customerId, toolId);
    expect((await p.call('POST', `/v1/generations/${again.id}/fail`, { reason: 'safety_blocked' })).body.charged).toBe(0);
    const provider = await reserve(customerId, toolId);
    expect((await p.call('POST', `/v1/generations/${provider.id}/fail`, { reason: 'provider_error' })).body.charged).toBe(0);
    expect(await available(customerId)).toBe(90);
  });

  it('free text is stored as other with the text as the message; no reason is other; a repeat answers the first result', async () => {
    const { customerId, toolId } = await seedCustomer(p, { credits: 100, toolCredits: 4 });
    await p.call('PUT', `/v1/tools/${toolId}`, { name: 'Tool', credits: 4, refundPolicy: { other: 50 } });
    const gen = await reserve(customerId, toolId);
    const failed = await p.call('POST', `/v1/generations/${gen.id}/fail`, { reason: 'GPU fell over' });
    expect(failed.body).toMatchObject({ failureReason: 'other', failureMessage: 'GPU fell over', charged: 2 });
    const repeat = await p.call('POST', `/v1/generations/${gen.id}/fail`, { reason: 'GPU fell over' });
    expect(repeat.status).toBe(200);
    expect(repeat.headers['idempotent-replayed']).toBe('true');
    expect((await p.call('POST', `/v1/generations/${gen.id}/fail`, { reason: 'provider_error' })).body.error.code).toBe('idempotency_conflict');
    expect((await p.call('GET', `/v1/generations/${gen.id}`)).body).toMatchObject({ failureReason: 'other', failureMessage: 'GPU fell over', charged: 2 });
    const event = (await eventsOf(customerId, 'generation.failed')).find((e) => e.data.generation.id === gen.id)!;
    expect(event.data).toMatchObject({ reason: 'other', message: 'GPU fell over', generation: { failureReason: 'other', failureMessage: 'GPU fell over' } });
    const bare = await reserve(customerId, toolId);
    expect((await p.call('POST', `/v1/generations/${bare.id}/fail`)).body).toMatchObject({ failureReason: 'other', failureMessage: null, charged: 2 });
    expect(await available(customerId)).toBe(96);
  });

  it('an operator may refund what a failure kept, never more', async () => {
    const { customerId, toolId } = await seedCustomer(p, { credits: 100, toolCredits: 10 });
    const gen = await reserve(customerId, toolId);
    await p.call('POST', `/v1/generations/${gen.id}/fail`, { reason: 'safety_blocked' });
    expect(await available(customerId)).toBe(90);
    const back = await p.call('POST', `/v1/generations/${gen.id}/refund`, { reason: 'goodwill', amount: 4 });
    expect(back.body).toMatchObject({ status: 'failed', charged: 10, refunded: 4 });
    expect((await p.call('POST', `/v1/generations/${gen.id}/refund`, { reason: 'goodwill', amount: 7 })).body.error.code).toBe('invalid_state');
    expect((await p.call('POST', `/v1/generations/${gen.id}/refund`, { reason: 'goodwill' })).body.refunded).toBe(10);
    expect(await available(customerId)).toBe(100);
    const none = await reserve(customerId, toolId);
    await p.call('POST', `/v1/generations/${none.id}/fail`, { reason: 'provider_error' });
    expect((await p.call('POST', `/v1/generations/${none.id}/refund`, { reason: 'x' })).body.error.code).toBe('invalid_state');
    expect(await auditProblems()).toEqual([]);
  });

  it('a hold that runs out fails with reason timeout and refunds per the timeout rule', async () => {
    const { customerId, toolId } = await seedCustomer(p, { credits: 100, toolCredits: 10 });
    await p.call('PUT', `/v1/tools/${toolId}`, { name: 'Tool', credits: 10, holdSeconds: 60, refundPolicy: { timeout: 30 } });
    const gen = await reserve(customerId, toolId);
    await p.call('POST', '/v1/test-clock', { advanceSeconds: 61 });
    const read = await p.call('GET', `/v1/generations/${gen.id}`);
    expect(read.body).toMatchObject({ status: 'failed', failureReason: 'timeout', charged: 7 });
    expect(await available(customerId)).toBe(93);
    expect((await ledger(customerId)).filter((e) => e.generationId === gen.id && e.type !== 'reserve').every((e) => e.reason === 'refund_policy:timeout:30')).toBe(true);
    expect(await auditProblems()).toEqual([]);
  });

  it('the configured policy (PURSE_REFUND_POLICY) is the default of tools without their own', async () => {
    const q = await startTestPurse({ refundPolicy: { safety_blocked: 50, provider_error: 20 } });
    try {
      const { customerId, toolId } = await seedCustomer(q, { credits: 100, toolCredits: 10 });
      const gen = (await q.call('POST', '/v1/generations', { customerId, toolId })).body;
      expect((await q.call('POST', `/v1/generations/${gen.id}/fail`, { reason: 'safety_blocked' })).body.charged).toBe(5);
      await q.call('PUT', `/v1/tools/${toolId}`, { name: 'Tool', credits: 10, refundPolicy: { safety_blocked: 0 } });
      const own = (await q.call('POST', '/v1/generations', { customerId, toolId })).body;
      expect((await q.call('POST', `/v1/generations/${own.id}/fail`, { reason: 'safety_blocked' })).body.charged).toBe(10);
      const configured = (await q.call('POST', '/v1/generations', { customerId, toolId })).body;
      expect((await q.call('POST', `/v1/generations/${configured.id}/fail`, { reason: 'provider_error' })).body.charged).toBe(8);
    } finally {
      await q.close();
    }
  });

  it('a generation keeps the policy it was reserved under', async () => {
    const { customerId, toolId } = await seedCustomer(p, { credits: 100, toolCredits: 10 });
    const gen = await reserve(customerId, toolId);
    await p.call('PUT', `/v1/tools/${toolId}`, { name: 'Tool', credits: 10, refundPolicy: { provider_error: 0 } });
    expect((await p.call('POST', `/v1/generations/${gen.id}/fail`, { reason: 'provider_error' })).body.charged).toBe(0);
  });

  it('refuses bad input with 400 naming the field, and changes nothing', async () => {
    const { customerId, toolId } = await seedCustomer(p, { credits: 100, toolCredits: 10 });
    const badTools: [unknown, string][] = [
      [{ name: 'T', credits: 1, refundPolicy: { safety_blocked: 101 } }, 'refundPolicy.safety_blocked'],
      [{ name: 'T', credits: 1, refundPolicy: { timeout: -1 } }, 'refundPolicy.timeout'],
      [{ name: 'T', credits: 1, refundPolicy: { timeout: 50.5 } }, 'refundPolicy.timeout'],
      [{ name: 'T', credits: 1, refundPolicy: { crashed: 50 } }, 'refundPolicy'],
      [{ name: 'T', credits: 1, reportWindowHours: -1 }, 'reportWindowHours'],
      [{ name: 'T', credits: 1, reportWindowHours: '24' }, 'reportWindowHours'],
    ];
    for (const [body, field] of badTools) {
      const res = await p.call('PUT', `/v1/tools/${toolId}`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.details.field, JSON.stringify(body)).toBe(field);
    }
    expect((await p.call('GET', `/v1/tools/${toolId}`)).body).toMatchObject({ credits: 10, refundPolicy: null });
    const gen = await reserve(customerId, toolId);
    for (const [body, field] of [[{ reason: 5 }, 'reason'], [{ reason: 'timeout', message: '' }, 'message'], [{ reason: 'timeout', extra: 1 }, 'body']] as const) {
      const res = await p.call('POST', `/v1/generations/${gen.id}/fail`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.details.field).toBe(field);
    }
    expect((await p.call('GET', `/v1/generations/${gen.id}`)).body.status).toBe('reserved');
    const planId = uid('plan');
    for (const [body, field] of [[{ freeRetriesPerPeriod: -1 }, 'freeRetriesPerPeriod'], [{ maxReportsPerDay: 1.5 }, 'maxReportsPerDay']] as const) {
      const res = await p.call('PUT', `/v1/plans/${planId}`, { name: 'P', creditsPerPeriod: 0, price: { amount: 0, currency: 'usd' }, ...body });
      expect(res.status).toBe(400);
      expect(res.body.error.details.field).toBe(field);
    }
    expect((await p.call('GET', '/v1/plans')).body.data.some((x: { id: string }) => x.id === planId)).toBe(false);
  });
});

describe('reporting a bad result', () => {
  it('refunds the bad_result percent of the charge once within the window; a second report is 409 already_reported', async () => {
    const { customerId, toolId } = await seedCustomer(p, { credits: 100, toolCredits: 9 });
    await p.call('PUT', `/v1/tools/${toolId}`, { name: 'Tool', credits: 9, refundPolicy: { bad_result: 50 }, reportWindowHours: 2 });
    const gen = await reserve(customerId, toolId);
    await p.call('POST', `/v1/generations/${gen.id}/complete`);
    expect(await available(customerId)).toBe(91);
    await p.call('POST', '/v1/test-clock', { advanceSeconds: 2 * 3600 });
    const reported = await p.call('POST', `/v1/generations/${gen.id}/report`, { reason: 'bad_result', note: 'blurry' });
    expect(reported.status, JSON.stringify(reported.body)).toBe(200);
    expect(reported.body).toMatchObject({ status: 'completed', charged: 9, refunded: 4 });
    expect(reported.body.reportedAt).not.toBeNull();
    expect(await available(customerId)).toBe(95);
    const refund = (await ledger(customerId)).filter((e) => e.generationId === gen.id && e.type === 'refund');
    expect(refund.map((e) => [e.amount, e.reason])).toEqual([[4, 'refund_policy:bad_result:50']]);
    const event = (await eventsOf(customerId, 'generation.refunded')).find((e) => e.data.generation.id === gen.id)!;
    expect(event.data).toMatchObject({ amount: 4, reason: 'refund_policy:bad_result:50', report: { reason: 'bad_result', note: 'blurry' }, refund: { rule: 'refund_policy:bad_result:50', percent: 50, returned: 4 } });
    const second = await p.call('POST', `/v1/generations/${gen.id}/report`, { reason: 'bad_result' });
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe('already_reported');
    expect(await available(customerId)).toBe(95);
    expect(await auditProblems()).toEqual([]);
  });

  it('never after the window: 409 report_window_closed, nothing refunded', async () => {
    const { customerId, toolId } = await seedCustomer(p, { credits: 100, toolCredits: 10 });
    const gen = await reserve(customerId, toolId);
    await p.call('POST', `/v1/generations/${gen.id}/complete`);
    await p.call('POST', '/v1/test-clock', { advanceSeconds: 24 * 3600 + 1 });
    const late = await p.call('POST', `/v1/generations/${gen.id}/report`, { reason: 'bad_result' });
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('report_window_closed');
    expect(late.body.error.details).toMatchObject({ reportWindowHours: 24 });
    expect(await available(customerId)).toBe(90);
    expect((await p.call('GET', `/v1/generations/${gen.id}`)).body).toMatchObject({ refunded: 0, reportedAt: null });
  });

  it('only a completed generation; the body must say bad_result; an Idempotency-Key replays the first answer', async () => {
    const { customerId, toolId } = await seedCustomer(p, { credits: 100, toolCredits: 10 });
    const running = await reserve(customerId, toolId);
    const notDone = await p.call('POST', `/v1/generations/${running.id}/report`, { reason: 'bad_result' });
    expect([notDone.status, notDone.body.error.code]).toEqual([409, 'invalid_state']);
    await p.call('POST', `/v1/generations/${running.id}/complete`);
    for (const [body, field] of [[{ reason: 'other' }, 'reason'], [{}, 'reason'], [{ reason: 'bad_result', note: '' }, 'note']] as const) {
      const res = await p.call('POST', `/v1/generations/${running.id}/report`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.details.field).toBe(field);
    }
    const headers = { 'idempotency-key': uid('k') };
    const first = await p.call('POST', `/v1/generations/${running.id}/report`, { reason: 'bad_result' }, { headers });
    const again = await p.call('POST', `/v1/generations/${running.id}/report`, { reason: 'bad_result' }, { headers });
    expect([first.status, again.status]).toEqual([200, 200]);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(await available(customerId)).toBe(100);
    expect((await p.call('POST', `/v1/generations/${uid('gen')}/report`, { reason: 'bad_result' })).status).toBe(404);
  });

  it("at most the plan's maxReportsPerDay a UTC day: 402 report_limit_reached, and again the next day", async () => {
    const { customerId, toolId } = await subscribed({ maxReportsPerDay: 1 });
    await p.call('PUT', `/v1/tools/${toolId}`, { name: 'Tool', credits: 10, reportWindowHours: 48 });
    const gens = [await reserve(customerId, toolId), await reserve(customerId, toolId), await reserve(customerId, toolId)];
    for (const g of gens) await p.call('POST', `/v1/generations/${g.id}/complete`);
    expect((await p.call('POST', `/v1/generations/${gens[0]!.id}/report`, { reason: 'bad_result' })).status).toBe(200);
    const over = await p.call('POST', `/v1/generations/${gens[1]!.id}/report`, { reason: 'bad_result' });
    expect([over.status, over.body.error.code, over.body.error.details.limit]).toEqual([402, 'report_limit_reached', 1]);
    expect(await available(customerId)).toBe(1000 - 20);
    const now = Date.parse((await p.call('GET', '/v1/test-clock')).body.now);
    const nextDay = Math.floor(now / 86_400_000 + 1) * 86_400_000 + 60_000;
    await p.call('POST', '/v1/test-clock', { now: new Date(nextDay).toISOString() });
    const res = await p.call('POST', `/v1/generations/${gens[1]!.id}/report`, { reason: 'bad_result' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect((await p.call('POST', `/v1/generations/${gens[2]!.id}/report`, { reason: 'bad_result' })).body.error.code).toBe('report_limit_reached');
  });
});

describe('free retries', () => {
  it('a retry of a failed or reported generation is free while the period has free retries left; each is retried free once; they reset with the period', async () => {
    const { customerId, toolId } = await subscribed({ freeRetriesPerPeriod: 2 });
    const failed = async () => {
      const g = await reserve(customerId, toolId);
      await p.call('POST', `/v1/generations/${g.id}/fail`, { reason: 'provider_error' });
      return g;
    };
    const a = await failed();
    const retry = await reserve(customerId, toolId, { retryOf: a.id });
    expect(retry).toMatchObject({ freeRetry: true, retryOf: a.id, cost: 10, status: 'reserved' });
    expect(await available(customerId)).toBe(990);
    const done = await p.call('POST', `/v1/generations/${retry.id}/complete`);
    expect(done.body).toMatchObject({ status: 'completed', charged: 0, freeRetry: true });
    expect(await available(customerId)).toBe(1000);
    expect((await ledger(customerId)).filter((e) => e.generationId === retry.id && e.type === 'release').map((e) => e.reason)).toEqual(['free_retry']);
    // The same generation again: an ordinary one.
    const twice = await reserve(customerId, toolId, { retryOf: a.id });
    expect(twice).toMatchObject({ freeRetry: false, retryOf: a.id });
    await p.call('POST', `/v1/generations/${twice.id}/complete`);
    expect(await available(customerId)).toBe(990);
    // A reported generation counts too: the second and last free retry of the period.
    const c = await reserve(customerId, toolId);
    await p.call('POST', `/v1/generations/${c.id}/complete`);
    await p.call('POST', `/v1/generations/${c.id}/report`, { reason: 'bad_result' });
    expect((await reserve(customerId, toolId, { retryOf: c.id })).freeRetry).toBe(true);
    // The period's two are used: an ordinary generation.
    const e = await failed();
    const paid = await reserve(customerId, toolId, { retryOf: e.id });
    expect(paid.freeRetry).toBe(false);
    await p.call('POST', `/v1/generations/${paid.id}/fail`, { reason: 'user_canceled' });
    // A completed generation nobody reported is not retried free.
    const fine = await reserve(customerId, toolId);
    await p.call('POST', `/v1/generations/${fine.id}/complete`);
    // Next period: the count starts again.
    await p.call('POST', '/v1/test-clock', { advanceSeconds: 32 * 86_400 });
    expect((await reserve(customerId, toolId, { retryOf: fine.id })).freeRetry).toBe(false);
    expect((await reserve(customerId, toolId, { retryOf: e.id })).freeRetry).toBe(true);
    expect(await auditProblems()).toEqual([]);
  });

  it('null is unlimited, 0 and no plan are none; a free retry that fails gives everything back', async () => {
    const unlimited = await subscribed({ freeRetriesPerPeriod: null });
    for (let i = 0; i < 3; i++) {
      const g = await reserve(unlimited.customerId, unlimited.toolId);
      await p.call('POST', `/v1/generations/${g.id}/fail`, { reason: 'safety_blocked' });
      const r = await reserve(unlimited.customerId, unlimited.toolId, { retryOf: g.id });
      expect(r.freeRetry).toBe(true);
      const f = await p.call('POST', `/v1/generations/${r.id}/fail`, { reason: 'safety_blocked' });
      expect(f.body).toMatchObject({ charged: 0, failureReason: 'safety_blocked' });
    }
    expect(await available(unlimited.customerId)).toBe(1000 - 3 * 10);
    const none = await subscribed({ freeRetriesPerPeriod: 0 });
    const noPlan = await seedCustomer(p, { credits: 100, toolCredits: 10 });
    for (const { customerId, toolId } of [none, noPlan]) {
      const g = await reserve(customerId, toolId);
      await p.call('POST', `/v1/generations/${g.id}/fail`);
      expect((await reserve(customerId, toolId, { retryOf: g.id })).freeRetry).toBe(false);
    }
    expect((await p.call('GET', '/v1/plans')).body.data.find((x: { id: string }) => x.id === unlimited.planId)).toMatchObject({ freeRetriesPerPeriod: null, maxReportsPerDay: null });
  });

  it('fired together, retries get exactly the free retries left and reports of one generation refund once', async () => {
    const { customerId, toolId } = await subscribed({ freeRetriesPerPeriod: 3 }, 1000, 10);
    const failed = await Promise.all(Array.from({ length: 8 }, () => reserve(customerId, toolId)));
    for (const g of failed) await p.call('POST', `/v1/generations/${g.id}/fail`, { reason: 'provider_error' });
    const retries = await Promise.all(failed.map((g) => p.call('POST', '/v1/generations', { customerId, toolId, retryOf: g.id })));
    expect(retries.map((r) => r.status)).toEqual(failed.map(() => 201));
    expect(retries.filter((r) => r.body.freeRetry).length).toBe(3);
    const done = await reserve(customerId, toolId);
    await p.call('POST', `/v1/generations/${done.id}/complete`);
    const reports = await Promise.all(Array.from({ length: 6 }, () => p.call('POST', `/v1/generations/${done.id}/report`, { reason: 'bad_result' })));
    expect(reports.filter((r) => r.status === 200).length).toBe(1);
    expect(reports.filter((r) => r.status === 409 && r.body.error.code === 'already_reported').length).toBe(5);
    expect((await p.call('GET', `/v1/generations/${done.id}`)).body.refunded).toBe(10);
    expect(await auditProblems()).toEqual([]);
  });

  it("retryOf must name a generation of the same customer: 400 naming retryOf, nothing reserved", async () => {
    const { customerId, toolId } = await subscribed({ freeRetriesPerPeriod: null });
    const other = await seedCustomer(p, { credits: 100, toolCredits: 10 });
    const theirs = await reserve(other.customerId, other.toolId);
    await p.call('POST', `/v1/generations/${theirs.id}/fail`);
    for (const retryOf of [uid('gen'), theirs.id]) {
      const res = await p.call('POST', '/v1/generations', { customerId, toolId, retryOf });
      expect(res.status).toBe(400);
      expect(res.body.error.details.field).toBe('retryOf');
    }
    const self = uid('gen');
    const res = await p.call('POST', '/v1/generations', { id: self, customerId, toolId, retryOf: self });
    expect(res.body.error.details.field).toBe('retryOf');
    expect(await available(customerId)).toBe(1000);
  });
});
