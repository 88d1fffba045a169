import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { payPendingTopUps } from '../../src/service/auto-top-up.js';
import { startTestPurse, uid, type TestPurse } from '../helpers.js';
import { startFakeStripe } from './fake-stripe.js';

/**
 * Issue 14, part 1 with Stripe: the real `stripe` SDK against the local fake.
 * Checkout saves the card for off-session use; a top-up confirms an off-session
 * PaymentIntent keyed by the crossing; `payment_intent.succeeded` grants it
 * once, in any order and however often it comes; a decline or a payment that
 * needs the card holder fails it, and three in a row turn auto top-up off.
 */
const WEBHOOK_SECRET = 'whsec_test_purse_top_up';
const signer = new Stripe('sk_test_signer');
let p: TestPurse;
let fake: Awaited<ReturnType<typeof startFakeStripe>>;

beforeAll(async () => {
  fake = await startFakeStripe();
  p = await startTestPurse({
    payments: 'stripe',
    stripe: { secretKey: 'sk_test_fake', webhookSecret: WEBHOOK_SECRET, publicUrl: 'http://app.test', apiBase: fake.url },
    autoTopUp: { pollMs: 3_600_000, cooldownSeconds: 0 },
  });
  await p.call('POST', '/v1/test-clock', { now: '2030-05-01T00:00:00.000Z' });
});
afterAll(async () => {
  await p.close();
  await fake.close();
});

async function deliver(type: string, object: Record<string, unknown>, id = `evt_${uid()}`) {
  const payload = JSON.stringify({ id, object: 'event', type, created: Math.floor(Date.now() / 1000), data: { object } });
  const signature = signer.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET });
  const res = await p.app.inject({ method: 'POST', url: '/v1/webhooks/stripe', headers: { 'content-type': 'application/json', 'stripe-signature': signature }, payload });
  return { status: res.statusCode, body: JSON.parse(res.body), id };
}

async function pay(): Promise<number> {
  await p.testClock?.sync();
  return payPendingTopUps(p.ctx, { onError: (_id, err) => { throw err; } });
}

const available = async (c: string) => (await p.call('GET', `/v1/customers/${c}/balance`)).body.available as number;
const topUpsOf = async (c: string) => ((await p.call('GET', `/v1/customers/${c}/purchases?limit=100`)).body.data as any[]).filter((x) => x.autoTopUp);
const eventsOf = async (c: string, type: string) => (await p.call('GET', `/v1/events?customerId=${c}&type=${type}&limit=100`)).body.data as any[];

/** A customer who bought a pack through Checkout (which saved the card) and set auto top-up at `threshold`. */
async function customerWithSavedCard(opts: { saveCard?: boolean } = {}) {
  const customer = uid('cus');
  const pack = uid('pack');
  const toolId = uid('tool');
  await p.call('PUT', `/v1/customers/${customer}`, { email: 'buyer@example.com' });
  await p.call('PUT', `/v1/packs/${pack}`, { name: '100 credits', credits: 100, price: { amount: 900, currency: 'usd' } });
  await p.call('PUT', `/v1/tools/${toolId}`, { name: 'Tool', credits: 10 });
  const bought = (await p.call('POST', `/v1/customers/${customer}/purchases`, { packId: pack })).body;
  const session = (bought.checkoutUrl as string).split('/').at(-1)!;
  const sent = fake.requests.find((r) => r.path === '/v1/checkout/sessions' && r.form.get('metadata[purse_purchase_id]') === bought.id)!;
  if (opts.saveCard !== false) expect(fake.payCheckout(session)).toMatch(/^pm_test_/);
  const done = await deliver('checkout.session.completed', {
    id: session, object: 'checkout.session', mode: 'payment', payment_status: 'paid', payment_intent: `pi_checkout_${bought.id}`, amount_total: 900, currency: 'usd',
    metadata: { purse_customer_id: customer, purse_purchase_id: bought.id, purse_pack_id: pack },
  });
  expect(done.body).toMatchObject({ applied: true });
  expect(await available(customer)).toBe(100);
  return { customer, pack, toolId, sent };
}

async function spendTo(customer: string, toolId: string, n: number) {
  for (let i = 0; i < n; i++) expect((await p.call('POST', '/v1/generations', { customerId: customer, toolId })).status).toBe(201);
}

function intentEvent(intentId: string) {
  const intent = fake.paymentIntents.get(intentId)!;
  return { ...intent, amount_received: intent.amount };
}

describe('auto top-up through Stripe', () => {
  it('Checkout saves the card; a top-up confirms an off-session PaymentIntent keyed by the crossing, and its webhook grants once', async () => {
    const { customer, pack, toolId, sent } = await customerWithSavedCard();
    expect(sent.form.get('customer')).toMatch(/^cus_test_/);
    expect(sent.form.get('payment_intent_data[setup_future_usage]')).toBe('off_session');
    await p.call('PUT', `/v1/customers/${customer}/auto-top-up`, { enabled: true, threshold: 50, packId: pack });
    await spendTo(customer, toolId, 6); // 40: below
    const [topUp] = await topUpsOf(customer);
    expect(topUp).toMatchObject({ status: 'pending', provider: 'stripe', credits: 100, price: { amount: 900, currency: 'usd' } });

    await pay();
    const charge = fake.requests.filter((r) => r.path === '/v1/payment_intents');
    expect(charge).toHaveLength(1);
    expect(charge[0]!.form.get('off_session')).toBe('true');
    expect(charge[0]!.form.get('confirm')).toBe('true');
    expect(charge[0]!.form.get('customer')).toBe(sent.form.get('customer'));
    expect(charge[0]!.form.get('amount')).toBe('900');
    expect(charge[0]!.idempotencyKey).toBe(`purse-top-up-${topUp.id}`);
    // Stripe took the payment; Purse grants when Stripe says so, not before.
    expect(await available(customer)).toBe(40);
    expect(await pay()).toBe(0);
    expect(fake.requests.filter((r) => r.path === '/v1/payment_intents')).toHaveLength(1);

    const intentId = [...fake.paymentIntents.keys()].find((id) => fake.paymentIntents.get(id)!.metadata && (fake.paymentIntents.get(id)!.metadata as any).purse_purchase_id === topUp.id)!;
    const succeeded = intentEvent(intentId);
    const first = await deliver('payment_intent.succeeded', succeeded);
    expect(first.body).toMatchObject({ applied: true, duplicate: false });
    expect(await available(customer)).toBe(140);
    // The same event again, and the same payment under another event id: nothing more.
    expect((await deliver('payment_intent.succeeded', succeeded, first.id)).body).toMatchObject({ duplicate: true });
    expect((await deliver('payment_intent.succeeded', succeeded)).body).toMatchObject({ applied: true, note: 'top-up already paid' });
    // A failure notice arriving after the success changes nothing.
    expect((await deliver('payment_intent.payment_failed', { ...succeeded, status: 'requires_payment_method', last_payment_error: { code: 'card_declined' } })).body.note).toBe('top-up already paid');
    expect(await available(customer)).toBe(140);
    expect(await topUpsOf(customer)).toMatchObject([{ id: topUp.id, status: 'paid' }]);
    expect(await eventsOf(customer, 'auto_top_up.succeeded')).toHaveLength(1);
    expect(await eventsOf(customer, 'purchase.paid')).toHaveLength(2);
  });

  it('grants once when the payment notice comes before the worker has recorded the payment (out of order)', async () => {
    const { customer, pack, toolId } = await customerWithSavedCard();
    await p.call('PUT', `/v1/customers/${customer}/auto-top-up`, { enabled: true, threshold: 50, packId: pack });
    await spendTo(customer, toolId, 6);
    const [topUp] = await topUpsOf(customer);
    // The payment Stripe would make, announced before Purse's worker has heard back from Stripe.
    const early = {
      id: `pi_early_${uid()}`, object: 'payment_intent', amount: 900, amount_received: 900, currency: 'usd', status: 'succeeded',
      metadata: { purse_customer_id: customer, purse_purchase_id: topUp.id, purse_pack_id: pack, purse_auto_top_up: 'true' },
    };
    expect((await deliver('payment_intent.succeeded', early)).body).toMatchObject({ applied: true });
    expect(await available(customer)).toBe(140);
    expect(await pay()).toBe(0);
    expect(await available(customer)).toBe(140);
    // A price that is not the top-up's is a mismatch and grants nothing.
    await spendTo(customer, toolId, 10); // 40
    const [second] = (await topUpsOf(customer)).filter((t) => t.status === 'pending');
    const short = await deliver('payment_intent.succeeded', { ...early, id: `pi_short_${uid()}`, amount: 100, amount_received: 100, metadata: { ...early.metadata, purse_purchase_id: second.id } });
    expect(short.body).toMatchObject({ applied: false, mismatch: true });
    expect(await available(customer)).toBe(40);
  });

  it('a decline and a payment needing the card holder fail the top-up; three failures in a row turn auto top-up off', async () => {
    const { customer, pack, toolId } = await customerWithSavedCard();
    await p.call('PUT', `/v1/customers/${customer}/auto-top-up`, { enabled: true, threshold: 50, packId: pack });
    fake.setChargeMode('decline');
    try {
      await spendTo(customer, toolId, 6); // 40
      await pay();
      let failed = await eventsOf(customer, 'auto_top_up.failed');
      expect(failed.map((e) => e.data.reason)).toEqual(['card_declined']);
      expect(await available(customer)).toBe(40);
      fake.setChargeMode('requires_action');
      await pay(); // the failure's write bought again (no cooldown here): this one needs 3-D Secure
      await pay();
      failed = await eventsOf(customer, 'auto_top_up.failed');
      expect(failed.map((e) => [e.data.reason, e.data.failuresInRow])).toEqual([['requires_action', 3], ['requires_action', 2], ['card_declined', 1]]);
      expect(await eventsOf(customer, 'auto_top_up.disabled')).toHaveLength(1);
      const read = (await p.call('GET', `/v1/customers/${customer}/auto-top-up`)).body;
      expect(read).toMatchObject({ enabled: false, state: { failuresInRow: 3, lastFailure: { reason: 'requires_action' } } });
      const topUps = await topUpsOf(customer);
      expect(topUps).toHaveLength(3);
      expect(topUps.every((t) => t.status === 'canceled')).toBe(true);
      expect(await pay()).toBe(0);
      expect(await available(customer)).toBe(40);
      // Each failed top-up was its own PaymentIntent, keyed by its own crossing.
      const keys = fake.requests.filter((r) => r.path === '/v1/payment_intents' && topUps.some((t) => r.idempotencyKey === `purse-top-up-${t.id}`));
      expect(new Set(keys.map((r) => r.idempotencyKey)).size).toBe(3);

      // The customer completes the last payment later: Stripe's success grants it after all, once.
      const last = topUps[0];
      const intent = [...fake.paymentIntents.values()].find((i) => (i.metadata as any).purse_purchase_id === last.id)!;
      const late = { ...intent, status: 'succeeded', amount_received: intent.amount, last_payment_error: null };
      expect((await deliver('payment_intent.succeeded', late)).body).toMatchObject({ applied: true });
      expect((await deliver('payment_intent.succeeded', late)).body).toMatchObject({ note: 'top-up already paid' });
      expect(await available(customer)).toBe(140);
      expect((await p.call('GET', `/v1/customers/${customer}/auto-top-up`)).body).toMatchObject({ enabled: false, thisMonth: { purchases: 1, amount: 900 }, state: { failuresInRow: 0 } });
    } finally {
      fake.setChargeMode('succeed');
    }
  });

  it('a failure Stripe reports by webhook after the charge was submitted fails the top-up once', async () => {
    const { customer, pack, toolId } = await customerWithSavedCard();
    await p.call('PUT', `/v1/customers/${customer}/auto-top-up`, { enabled: true, threshold: 50, packId: pack, cooldownSeconds: 3600 });
    await spendTo(customer, toolId, 6);
    await pay();
    const [topUp] = await topUpsOf(customer);
    const intent = [...fake.paymentIntents.values()].find((i) => (i.metadata as any).purse_purchase_id === topUp.id)!;
    const failedNotice = { ...intent, status: 'requires_payment_method', last_payment_error: { code: 'card_declined', decline_code: 'insufficient_funds' } };
    const first = await deliver('payment_intent.payment_failed', failedNotice);
    expect(first.body).toMatchObject({ applied: true });
    expect((await deliver('payment_intent.payment_failed', failedNotice, first.id)).body).toMatchObject({ duplicate: true });
    expect((await deliver('payment_intent.payment_failed', failedNotice)).body.note).toBe('top-up already canceled');
    expect((await eventsOf(customer, 'auto_top_up.failed')).map((e) => e.data.reason)).toEqual(['card_declined']);
    expect(await topUpsOf(customer)).toHaveLength(1);
  });

  it('fails a top-up when no card was saved', async () => {
    const { customer, pack, toolId } = await customerWithSavedCard({ saveCard: false });
    await p.call('PUT', `/v1/customers/${customer}/auto-top-up`, { enabled: true, threshold: 50, packId: pack, cooldownSeconds: 3600 });
    await spendTo(customer, toolId, 6);
    await pay();
    expect((await eventsOf(customer, 'auto_top_up.failed')).map((e) => e.data.reason)).toEqual(['no_saved_card']);
    expect(await available(customer)).toBe(40);
  });
});
