import Stripe from 'stripe';
import type { PaymentProvider } from './provider.js';
import { parseStripeEvent, type PaymentEvent } from './stripe-events.js';

/** Metadata keys Purse puts on every Stripe object it creates, so webhooks find their way back. */
export const META = {
  customer: 'purse_customer_id',
  purchase: 'purse_purchase_id',
  pack: 'purse_pack_id',
  subscription: 'purse_subscription_id',
  plan: 'purse_plan_id',
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
  return {
    name: 'stripe',
    async startPackCheckout({ purchase, pack, customer }) {
      const metadata = { [META.customer]: customer.id, [META.purchase]: purchase.id, [META.pack]: pack.id };
      const session = await stripe.checkout.sessions.create(
        {
          mode: 'payment',
          client_reference_id: customer.id,
          ...(customer.email ? { customer_email: customer.email } : {}),
          line_items: [{ quantity: 1, price_data: { currency: pack.price.currency, unit_amount: pack.price.amount, product_data: { name: pack.name } } }],
          metadata,
          payment_intent_data: { metadata },
          success_url: `${opts.publicUrl}/credits?purchase=${encodeURIComponent(purchase.id)}`,
          cancel_url: `${opts.publicUrl}/pricing`,
        },
        { idempotencyKey: `purse-purchase-${purchase.id}` },
      );
      if (!session.url) throw new Error('Stripe returned a Checkout Session without a URL');
      return { paid: false, checkoutUrl: session.url, providerRef: session.id };
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
