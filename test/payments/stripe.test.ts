import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPurse, TEST_API_KEY, uid, type TestPurse } from '../helpers.js';
import { startFakeStripe } from './fake-stripe.js';

const WEBHOOK_SECRET = 'whsec_test_purse';
const stripe = new Stripe('sk_test_signer');
let p: TestPurse;
let fake: Awaited<ReturnType<typeof startFakeStripe>>;
let eventSeq = 0;

beforeAll(async () => {
  fake = await startFakeStripe();
  p = await startTestPurse({
    payments: 'stripe',
    stripe: { secretKey: 'sk_test_fake', webhookSecret: WEBHOOK_SECRET, publicUrl: 'http://app.test', apiBase: fake.url },
  });
  await p.call('POST', '/v1/test-clock', { now: '2030-03-01T00:00:00.000Z' });
});
afterAll(async () => {
  await p.close();
  await fake.close();
});

function event(type: string, object: Record<string, unknown>, id = `evt_${++eventSeq}_${uid()}`) {
  return { id, object: 'event', type, created: Math.floor(Date.now() / 1000), data: { object } };
}

async function deliver(evt: object, opts: { secret?: string; tamper?: boolean } = {}) {
  const payload = JSON.stringify(evt);
  const signature = stripe.webhooks.generateTestHeaderString({ payload, secret: opts.secret ?? WEBHOOK_SECRET });
  const res = await p.app.inject({
    method: 'POST',
    url: '/v1/webhooks/stripe',
    headers: { 'content-type': 'application/json', 'stripe-signature': signature },
    payload: opts.tamper ? payload.replace('"paid"', '"PAID"') : payload,
  });
  return { status: res.statusCode, body: JSON.parse(res.body) };
}

const available = async (c: string) => (await p.call('GET', `/v1/customers/${c}/balance`)).body.available as number;

async function packSetup() {
  const customer = uid('cus');
  const pack = uid('pack');
  await p.call('PUT', `/v1/customers/${customer}`, { email: 'buyer@example.com' });
  await p.call('PUT', `/v1/packs/${pack}`, { name: '100 credits', credits: 100, price: { amount: 900, currency: 'usd' } });
  return { customer, pack };
}

function sessionCompleted(purchase: { id: string; customerId: string; packId: string }, paymentIntent: string) {
  return event('checkout.session.completed', {
    id: `cs_${purchase.id}`,
    object: 'checkout.session',
    mode: 'payment',
    payment_status: 'paid',
    payment_intent: paymentIntent,
    amount_total: 900,
    currency: 'usd',
    metadata: { purse_customer_id: purchase.customerId, purse_purchase_id: purchase.id, purse_pack_id: purchase.packId },
  });
}

function chargeRefunded(purchase: { id: string; customerId: string; packId: string }, paymentIntent: string) {
  return event('charge.refunded', {
    id: `ch_${purchase.id}`,
    object: 'charge',
    refunded: true,
    amount: 900,
    amount_refunded: 900,
    payment_intent: paymentIntent,
    metadata: { purse_customer_id: purchase.customerId, purse_purchase_id: purchase.id, purse_pack_id: purchase.packId },
  });
}

describe('packs paid through Stripe Checkout', () => {
  it('answers with a checkout URL, then grants once however often the payment notice comes', async () => {
    const { customer, pack } = await packSetup();
    const bought = await p.call('POST', `/v1/customers/${customer}/purchases`, { packId: pack });
    expect(bought.status).toBe(201);
    expect(bought.body).toMatchObject({ status: 'pending', provider: 'stripe' });
    expect(bought.body.checkoutUrl).toMatch(/^https:\/\/checkout\.stripe\.test\/pay\/cs_test_/);
    const sent = fake.requests.at(-1)!;
    expect(sent.form.get('mode')).toBe('payment');
    expect(sent.form.get('metadata[purse_purchase_id]')).toBe(bought.body.id);
    expect(sent.form.get('line_items[0][price_data][unit_amount]')).toBe('900');
    expect(await available(customer)).toBe(0);

    const notice = sessionCompleted(bought.body, 'pi_1');
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await deliver(notice));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(answers.map((a) => a.body.duplicate)).toEqual([false, true, true, true, true]);
    expect(await available(customer)).toBe(100);
    // The same notice under another event id (Stripe's retries keep the id; a replayed export may not) still grants once.
    const again = await deliver({ ...notice, id: `evt_again_${uid()}` });
    expect(again).toMatchObject({ status: 200, body: { duplicate: false, note: 'purchase already paid' } });
    expect(await available(customer)).toBe(100);
    expect((await p.call('GET', `/v1/purchases/${bought.body.id}`)).body).toMatchObject({ status: 'paid' });
  });

  it('refuses a bad signature with 400 and changes nothing', async () => {
    const { customer, pack } = await packSetup();
    const bought = await p.call('POST', `/v1/customers/${customer}/purchases`, { packId: pack });
    const wrongSecret = await deliver(sessionCompleted(bought.body, 'pi_2'), { secret: 'whsec_wrong' });
    expect(wrongSecret.status).toBe(400);
    expect(wrongSecret.body.error).toMatchObject({ code: 'invalid_request', details: { field: 'Stripe-Signature' } });
    const tampered = await deliver(sessionCompleted(bought.body, 'pi_2'), { tamper: true });
    expect(tampered.status).toBe(400);
    const unsigned = await p.app.inject({ method: 'POST', url: '/v1/webhooks/stripe', headers: { 'content-type': 'application/json' }, payload: '{}' });
    expect(unsigned.statusCode).toBe(400);
    expect(await available(customer)).toBe(0);
  });

  it('gives the same balance for every order and repetition of the same events', async () => {
    const orders = [
      [0, 1, 2],
      [0, 2, 1],
      [1, 0, 2],
      [1, 2, 0],
      [2, 0, 1],
      [2, 1, 0],
    ];
    for (const order of orders) {
      const { customer, pack } = await packSetup();
      const a = (await p.call('POST', `/v1/customers/${customer}/purchases`, { packId: pack })).body;
      const b = (await p.call('POST', `/v1/customers/${customer}/purchases`, { packId: pack })).body;
      // Pack A is paid then refunded; pack B is paid. In order, the customer ends with B's 100 credits.
      const events = [sessionCompleted(a, `pi_${a.id}`), chargeRefunded(a, `pi_${a.id}`), sessionCompleted(b, `pi_${b.id}`)];
      for (const i of order) {
        expect((await deliver(events[i]!)).status).toBe(200);
        expect((await deliver(events[i]!)).body.duplicate).toBe(true);
      }
      expect(await available(customer)).toBe(100);
      const ledger = (await p.call('GET', `/v1/customers/${customer}/ledger?limit=100`)).body.data;
      expect(ledger.filter((e: any) => e.type === 'grant').reduce((s: number, e: any) => s + e.amount, 0)).toBeLessThanOrEqual(200);
    }
    expect((await p.ctx.store.audit()).problems).toEqual([]);
  });
});

describe('payment notices that do not match the stored purchase (issue 10, item 6)', () => {
  const mismatches = async () => {
    const text = (await p.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${TEST_API_KEY}` } })).body;
    return [...text.matchAll(/^purse_payment_event_mismatches_total\{[^}]*\} (\d+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
  };
  const completed = (purchase: { id: string; customerId: string; packId: string }, change: Record<string, unknown>) => {
    const evt = sessionCompleted(purchase, `pi_${purchase.id}`);
    Object.assign(evt.data.object, change);
    return evt;
  };

  it('are acknowledged, change nothing, and are counted; the true notice still grants once', async () => {
    const { customer, pack } = await packSetup();
    const other = (await packSetup()).customer;
    const bought = (await p.call('POST', `/v1/customers/${customer}/purchases`, { packId: pack })).body;
    const cheap = uid('pack');
    await p.call('PUT', `/v1/packs/${cheap}`, { name: '5 credits', credits: 5, price: { amount: 900, currency: 'usd' } });
    const before = await mismatches();
    const wrong = [
      completed(bought, { amount_total: 0 }),
      completed(bought, { amount_total: 899 }),
      completed(bought, { currency: 'eur' }),
      completed(bought, { metadata: { purse_customer_id: other, purse_purchase_id: bought.id, purse_pack_id: pack } }),
      completed(bought, { metadata: { purse_customer_id: customer, purse_purchase_id: bought.id, purse_pack_id: cheap } }),
      completed({ ...bought, id: uid('pur') }, {}),
      completed({ ...bought, id: uid('pur'), customerId: other }, {}),
    ];
    for (const evt of wrong) {
      const res = await deliver(evt);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ received: true, applied: false, mismatch: true });
    }
    expect(await mismatches()).toBe(before + wrong.length);
    expect(await available(customer)).toBe(0);
    expect(await available(other)).toBe(0);
    expect((await p.call('GET', `/v1/purchases/${bought.id}`)).body).toMatchObject({ status: 'pending', grantId: null });
    expect((await p.call('GET', `/v1/customers/${other}/purchases`)).body.data).toEqual([]);

    expect((await deliver(completed(bought, {}))).body).toMatchObject({ applied: true, duplicate: false });
    expect(await available(customer)).toBe(100);
    expect(await mismatches()).toBe(before + wrong.length);
  });

  it("takes back the stored purchase's credits on a refund that names another customer, never the other's", async () => {
    const { customer, pack } = await packSetup();
    const victim = await packSetup();
    const victimBought = (await p.call('POST', `/v1/customers/${victim.customer}/purchases`, { packId: victim.pack })).body;
    await deliver(sessionCompleted(victimBought, `pi_${victimBought.id}`));
    expect(await available(victim.customer)).toBe(100);
    const refund = chargeRefunded(victimBought, `pi_${victimBought.id}`);
    refund.data.object.metadata = { purse_customer_id: customer, purse_purchase_id: victimBought.id, purse_pack_id: pack };
    expect((await deliver(refund)).body).toMatchObject({ applied: false, mismatch: true });
    expect(await available(victim.customer)).toBe(100);
    expect((await p.call('GET', `/v1/customers/${customer}/purchases`)).body.data).toEqual([]);
  });
});

describe('subscriptions driven by Stripe', () => {
  it('starts with Checkout, issues each paid period once, and ends when Stripe cancels', async () => {
    const customer = uid('cus');
    const plan = uid('plan');
    await p.call('PUT', `/v1/customers/${customer}`, {});
    await p.call('PUT', `/v1/plans/${plan}`, { name: 'Pro', creditsPerPeriod: 500, price: { amount: 2000, currency: 'usd' } });
    const started = await p.call('PUT', `/v1/customers/${customer}/subscription`, { planId: plan });
    expect(started.body).toMatchObject({ status: 'incomplete', effect: 'checkout', drivenBy: 'stripe' });
    expect(started.body.checkoutUrl).toMatch(/^https:\/\/checkout\.stripe\.test\//);
    expect(fake.requests.at(-1)!.form.get('line_items[0][price_data][recurring][interval]')).toBe('month');
    const meta = { purse_customer_id: customer, purse_subscription_id: started.body.id, purse_plan_id: plan };

    const t0 = Date.parse('2030-03-01T00:00:00.000Z') / 1000;
    const t1 = Date.parse('2030-04-01T00:00:00.000Z') / 1000;
    const t2 = Date.parse('2030-05-01T00:00:00.000Z') / 1000;
    const invoice = (start: number, end: number) =>
      event('invoice.paid', {
        object: 'invoice',
        parent: { type: 'subscription_details', subscription_details: { subscription: 'sub_stripe_1', metadata: meta } },
        lines: { data: [{ period: { start, end } }] },
      });
    const firstInvoice = invoice(t0, t1);
    // The invoice may arrive before the checkout notice; both orders end the same.
    await deliver(firstInvoice);
    await deliver(event('checkout.session.completed', { object: 'checkout.session', mode: 'subscription', subscription: 'sub_stripe_1', metadata: meta }));
    await deliver(firstInvoice);
    let balance = (await p.call('GET', `/v1/customers/${customer}/balance`)).body;
    expect(balance).toMatchObject({ available: 500, subscription: { planId: plan, status: 'active', currentPeriodEnd: '2030-04-01T00:00:00.000Z' } });

    await p.call('POST', '/v1/test-clock', { now: '2030-04-01T00:00:05.000Z' });
    await deliver(invoice(t1, t2));
    await deliver(invoice(t1, t2));
    balance = (await p.call('GET', `/v1/customers/${customer}/balance`)).body;
    expect(balance.available).toBe(500);
    expect(balance.breakdown).toEqual([{ source: 'plan', available: 500, expiresAt: '2030-05-01T00:00:00.000Z' }]);

    await deliver(event('customer.subscription.updated', { id: 'sub_stripe_1', object: 'subscription', status: 'active', cancel_at_period_end: true, metadata: meta }));
    expect((await p.call('GET', `/v1/customers/${customer}/subscription`)).body).toMatchObject({ cancelAtPeriodEnd: true, status: 'active' });
    await deliver(event('customer.subscription.deleted', { id: 'sub_stripe_1', object: 'subscription', status: 'canceled', ended_at: t2, metadata: meta }));
    expect((await p.call('GET', `/v1/customers/${customer}/subscription`)).body).toMatchObject({ status: 'canceled' });
    // A late 'updated' does not bring a canceled subscription back.
    await deliver(event('customer.subscription.updated', { id: 'sub_stripe_1', object: 'subscription', status: 'active', cancel_at_period_end: false, metadata: meta }));
    expect((await p.call('GET', `/v1/customers/${customer}/subscription`)).body).toMatchObject({ status: 'canceled' });
    expect((await p.ctx.store.audit()).problems).toEqual([]);
  });
});

describe('Stripe periods that start at the same instant (issue 10, item 1)', () => {
  it('a period of another plan from the same instant issues its grant and ends the old one; repeats issue nothing', async () => {
    const customer = uid('cus');
    const [pro, max] = [uid('plan'), uid('plan')];
    await p.call('PUT', `/v1/customers/${customer}`, {});
    await p.call('PUT', `/v1/plans/${pro}`, { name: 'Pro', creditsPerPeriod: 500, price: { amount: 2000, currency: 'usd' } });
    await p.call('PUT', `/v1/plans/${max}`, { name: 'Max', creditsPerPeriod: 1000, price: { amount: 4000, currency: 'usd' } });
    const started = await p.call('PUT', `/v1/customers/${customer}/subscription`, { planId: pro });
    const stripeSub = `sub_${uid()}`;
    const start = Math.floor(p.ctx.clock.now() / 1000);
    const invoice = (planId: string) =>
      event('invoice.paid', {
        object: 'invoice',
        parent: {
          type: 'subscription_details',
          subscription_details: { subscription: stripeSub, metadata: { purse_customer_id: customer, purse_subscription_id: started.body.id, purse_plan_id: planId } },
        },
        lines: { data: [{ period: { start, end: start + 30 * 86_400 } }] },
      });
    await deliver(invoice(pro));
    expect(await available(customer)).toBe(500);
    await deliver(invoice(max));
    expect(await available(customer)).toBe(1000);
    expect((await p.call('GET', `/v1/customers/${customer}/subscription`)).body.planId).toBe(max);
    // The same period again, as a new notice: nothing more.
    expect((await deliver(invoice(max))).body.applied).toBe(true);
    expect(await available(customer)).toBe(1000);
    expect((await p.ctx.store.audit()).problems).toEqual([]);
  });
});
