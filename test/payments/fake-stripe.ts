import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the fake answers the next off-session charges: as Stripe does for a good card, a declined one, or one that needs its holder (3-D Secure). */
export type ChargeMode = 'succeed' | 'decline' | 'requires_action';

interface FakeCustomer {
  id: string;
  object: 'customer';
  email: string | null;
  metadata: Record<string, string>;
  cards: string[];
}

/**
 * A stand-in for Stripe's API on loopback: answers the calls Purse makes the
 * way Stripe does — Checkout Sessions, customers, their saved cards, and
 * off-session PaymentIntents (with idempotency keys replayed as Stripe replays
 * them) — and records what the SDK sent, so the real `stripe` SDK can be
 * exercised with no network. `chargeMode` switches the next charges to a
 * decline or to `authentication_required`.
 */
export async function startFakeStripe() {
  const requests: { method: string; path: string; form: URLSearchParams; idempotencyKey: string | undefined }[] = [];
  const customers = new Map<string, FakeCustomer>();
  const sessions = new Map<string, URLSearchParams>();
  const paymentIntents = new Map<string, Record<string, unknown>>();
  /** Stripe answers a repeated idempotency key with the first answer. */
  const replies = new Map<string, { status: number; body: unknown }>();
  const state = { chargeMode: 'succeed' as ChargeMode };
  let n = 0;

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json', 'request-id': `req_${++n}` });
    res.end(JSON.stringify(body));
  };
  const metadataOf = (form: URLSearchParams, prefix = 'metadata') => {
    const out: Record<string, string> = {};
    for (const [k, v] of form) {
      const m = new RegExp(`^${prefix.replace(/[[\]]/g, '\\$&')}\\[([^\\]]+)\\]$`).exec(k);
      if (m) out[m[1]!] = v;
    }
    return out;
  };

  function answer(method: string, path: string, form: URLSearchParams): { status: number; body: unknown } {
    if (method === 'POST' && path === '/v1/checkout/sessions') {
      const id = `cs_test_${++n}`;
      sessions.set(id, form);
      return { status: 200, body: { id, object: 'checkout.session', mode: form.get('mode'), customer: form.get('customer'), url: `https://checkout.stripe.test/pay/${id}`, status: 'open' } };
    }
    if (method === 'POST' && path === '/v1/customers') {
      const customer: FakeCustomer = { id: `cus_test_${++n}`, object: 'customer', email: form.get('email'), metadata: metadataOf(form), cards: [] };
      customers.set(customer.id, customer);
      return { status: 200, body: { ...customer, cards: undefined } };
    }
    const methods = /^\/v1\/customers\/([^/]+)\/payment_methods/.exec(path);
    if (method === 'GET' && methods) {
      const customer = customers.get(decodeURIComponent(methods[1]!));
      if (!customer) return { status: 404, body: { error: { type: 'invalid_request_error', code: 'resource_missing', message: `No such customer: '${methods[1]}'` } } };
      return {
        status: 200,
        body: { object: 'list', url: path, has_more: false, data: customer.cards.map((id) => ({ id, object: 'payment_method', type: 'card', customer: customer.id, card: { brand: 'visa', last4: '4242' } })) },
      };
    }
    if (method === 'POST' && path === '/v1/payment_intents') {
      const id = `pi_test_${++n}`;
      const customer = customers.get(form.get('customer') ?? '');
      const card = form.get('payment_method');
      if (!customer || !card || !customer.cards.includes(card)) {
        return { status: 400, body: { error: { type: 'invalid_request_error', code: 'resource_missing', message: 'No such PaymentMethod for this customer' } } };
      }
      const intent: Record<string, unknown> = {
        id,
        object: 'payment_intent',
        amount: Number(form.get('amount')),
        amount_received: 0,
        currency: form.get('currency'),
        customer: customer.id,
        payment_method: card,
        metadata: metadataOf(form),
        off_session: form.get('off_session'),
        status: 'succeeded',
        last_payment_error: null,
      };
      paymentIntents.set(id, intent);
      if (state.chargeMode === 'succeed') {
        intent.amount_received = intent.amount;
        return { status: 200, body: intent };
      }
      // An off-session charge that fails comes back as a card error carrying the PaymentIntent, as Stripe sends it.
      const code = state.chargeMode === 'decline' ? 'card_declined' : 'authentication_required';
      const decline = state.chargeMode === 'decline' ? 'insufficient_funds' : 'authentication_required';
      const error = { type: 'card_error', code, decline_code: decline, message: state.chargeMode === 'decline' ? 'Your card has insufficient funds.' : 'This payment requires authentication.' };
      Object.assign(intent, { status: 'requires_payment_method', last_payment_error: error });
      return { status: 402, body: { error: { ...error, payment_intent: intent } } };
    }
    return { status: 404, body: { error: { type: 'invalid_request_error', message: `no fake for ${method} ${path}` } } };
  }

  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const method = req.method ?? 'GET';
      const path = req.url ?? '';
      const form = new URLSearchParams(method === 'GET' ? (path.split('?')[1] ?? '') : body);
      const idempotencyKey = req.headers['idempotency-key'] as string | undefined;
      requests.push({ method, path, form, idempotencyKey });
      const key = idempotencyKey ? `${method} ${path.split('?')[0]} ${idempotencyKey}` : null;
      const reply = (key && replies.get(key)) || answer(method, path.split('?')[0]!, form);
      if (key && !replies.has(key) && reply.status < 500) replies.set(key, reply);
      send(res, reply.status, reply.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    customers,
    paymentIntents,
    /** The next off-session charges succeed, are declined, or need the card holder. */
    setChargeMode(mode: ChargeMode) {
      state.chargeMode = mode;
    },
    /**
     * The customer pays a Checkout Session: with `setup_future_usage` its card is
     * saved on the session's customer, as Stripe saves it. Returns the card's id.
     */
    payCheckout(sessionId: string): string | null {
      const form = sessions.get(sessionId);
      const customer = customers.get(form?.get('customer') ?? '');
      if (!form || !customer || form.get('payment_intent_data[setup_future_usage]') !== 'off_session') return null;
      const card = `pm_test_${++n}`;
      customer.cards.push(card);
      return card;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
