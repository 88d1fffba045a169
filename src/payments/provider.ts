import type { Customer, Pack, Plan, Purchase, Subscription } from '../domain/types.js';

/** What starting a payment gave: paid already (sandbox), or a checkout page to send the customer to. */
export type CheckoutStart = { paid: true } | { paid: false; checkoutUrl: string; providerRef: string };

/**
 * A payment provider behind one interface: the sandbox pays at once; Stripe
 * returns a Checkout URL and confirms through its webhook.
 */
export interface PaymentProvider {
  readonly name: 'sandbox' | 'stripe';
  startPackCheckout(input: { purchase: Purchase; pack: Pack; customer: Customer }): Promise<CheckoutStart>;
  startSubscriptionCheckout(input: { subscription: Subscription; plan: Plan; customer: Customer }): Promise<CheckoutStart>;
}

/** The embedded default: every payment succeeds at once. For demos and tests. */
export const sandboxProvider: PaymentProvider = {
  name: 'sandbox',
  async startPackCheckout() {
    return { paid: true };
  },
  async startSubscriptionCheckout() {
    return { paid: true };
  },
};
