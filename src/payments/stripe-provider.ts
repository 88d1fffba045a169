import Stripe from 'stripe';
import type { Customer } from '../domain/types.js';
import type { PaymentProvider, TopUpCharge } from './provider.js';
import { parseStripeEvent, type PaymentEvent } from './stripe-events.js';

/** Metadata keys Purse puts on every Stripe object it creates, so webhooks find their way back. */
export const META = {
  customer: 'purse_customer_id',
  purchase: 'purse_purchase_id',
  pack: 'purse_pack_id',
  subscription: 'purse_subscription_id',
  plan: 'purse_plan_id',
  autoTopUp: 'purse_auto_top_up',
} as const;

export interface StripeOptions {
  secretKey: string;
  /** Where Checkout sends the customer back to. */
  publicUrl: string;
  /** Another API base (e.g. a local Stripe mock in tests): `http://127.0.0.1:12111`. */
  apiBase?: string;
}

export function createStripeClient(opts: Pick<StripeOptions, 'secretKey' | 'apiBase'>): Stripe {
  if (!opts.apiBase) return new Stripe(opts.secretKey, { maxNetworkRetries: 2 });
  const base = new URL(opts.apiBase);
  return new Stripe(opts.secretKey, {
    host: base.hostname,
    port: Number(base.port || (base.protocol === 'https:' ? 443 : 80)),
    protocol: base.protocol.replace(':', '') as 'http' | 'https',
    maxNetworkRetries: 0,
  });
}

/**
 * Stripe Checkout for packs (one-off payments) and plans (subscriptions). Every
 * session carries Purse's ids in its metadata; the webhook applies the outcome.
 */
export function createStripeProvider(opts: StripeOptions): PaymentProvider {
  const stripe = createStripeClient(opts);
  /** The Stripe customer that holds this customer's saved card: the one Purse remembers, or a new one. */
  async function stripeCustomer(customer: Customer): Promise<string> {
    if (customer.paymentCustomerRef) return customer.paymentCustomerRef;
    const created = await stripe.customers.create(
      { ...(customer.email ? { email: customer.email } : {}), ...(customer.name ? { name: customer.name } : {}), metadata: { [META.customer]: customer.id } },
      { idempotencyKey: `purse-customer-${customer.id}` },
    );
    return created.id;
  }
  return {
    name: 'stripe',
    async startPackCheckout({ purchase, pack, customer }) {
      const metadata = { [META.customer]: customer.id, [META.purchase]: purchase.id, [META.pack]: pack.id };
      // A Stripe customer, and the card saved for off-session use, so auto top-up can pay without the customer present.
      const paymentCustomerRef = await stripeCustomer(customer);
      const session = await stripe.checkout.sessions.create(
        {
          mode: 'payment',
          client_reference_id: customer.id,
          customer: paymentCustomerRef,
          line_items: [{ quantity: 1, price_data: { currency: pack.price.currency, unit_amount: pack.price.amount, product_data: { name: pack.name } } }],
          metadata,
          payment_intent_data: { metadata, setup_future_usage: 'off_session' },
          success_url: `${opts.publicUrl}/credits?purchase=${encodeURIComponent(purchase.id)}`,
          cancel_url: `${opts.publicUrl}/pricing`,
        },
        { idempotencyKey: `purse-purchase-${purchase.id}` },
      );
      if (!session.url) throw new Error('Stripe returned a Checkout Session without a URL');
      return { paid: false, checkoutUrl: session.url, providerRef: session.id, paymentCustomerRef };
    },
    async chargeTopUp({ purchase, customer }): Promise<TopUpCharge> {
      if (!customer.paymentCustomerRef) return { outcome: 'failed', reason: 'no_saved_card', paymentRef: null };
      const cards = await stripe.customers.listPaymentMethods(customer.paymentCustomerRef, { type: 'card', limit: 1 });
      const card = cards.data[0];
      if (!card) return { outcome: 'failed', reason: 'no_saved_card', paymentRef: null };
      const metadata = { [META.customer]: customer.id, [META.purchase]: purchase.id, [META.pack]: purchase.packId, [META.autoTopUp]: 'true' };
      try {
        const intent = await stripe.paymentIntents.create(
          {
            amount: purchase.price.amount,
            currency: purchase.price.currency,
            customer: customer.paymentCustomerRef,
            payment_method: card.id,
            off_session: true,
            confirm: true,
            metadata,
          },
          // Derived from the crossing (the purchase's id): a retry of this top-up is the same PaymentIntent.
          { idempotencyKey: `purse-top-up-${purchase.id}` },
        );
        if (intent.status === 'requires_action' || intent.status === 'requires_payment_method') return { outcome: 'failed', reason: intent.status, paymentRef: intent.id };
        return { outcome: 'submitted', paymentRef: intent.id };
      } catch (err) {
        if (!(err instanceof Stripe.errors.StripeCardError)) throw err;
        const intent = (err.raw as { payment_intent?: { id?: string } }).payment_intent;
        const reason = err.code === 'authentication_required' ? 'requires_action' : (err.code ?? 'card_declined');
        return { outcome: 'failed', reason, paymentRef: intent?.id ?? null };
      }
    },
    async startSubscriptionCheckout({ subscription, plan, customer }) {
      const metadata = { [META.customer]: customer.id, [META.subscription]: subscription.id, [META.plan]: plan.id };
      const session = await stripe.checkout.sessions.create(
        {
          mode: 'subscription',
          client_reference_id: customer.id,
          ...(customer.email ? { customer_email: customer.email } : {}),
          line_items: [
            {
              quantity: 1,
              price_data: {
                currency: plan.price.currency,
                unit_amount: plan.price.amount,
                recurring: { interval: plan.period },
                product_data: { name: plan.name },
              },
            },
          ],
          metadata,
          subscription_data: { metadata },
          success_url: `${opts.publicUrl}/credits?subscription=${encodeURIComponent(subscription.id)}`,
          cancel_url: `${opts.publicUrl}/pricing`,
        },
        { idempotencyKey: `purse-subscription-${subscription.id}` },
      );
      if (!session.url) throw new Error('Stripe returned a Checkout Session without a URL');
      return { paid: false, checkoutUrl: session.url, providerRef: session.id };
    },
  };
}

let verifier: Stripe | null = null;

/**
 * Checks a webhook's `Stripe-Signature` against the endpoint's signing secret and
 * returns the event, or throws. Uses the SDK's own verification (timestamp
 * tolerance 5 minutes).
 */
export function verifyStripeEvent(rawBody: string, signature: string, secret: string): PaymentEvent {
  verifier ??= new Stripe('sk_verify_only');
  return parseStripeEvent(verifier.webhooks.constructEvent(rawBody, signature, secret));
}
