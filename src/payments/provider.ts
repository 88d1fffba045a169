import type { Customer, Pack, Plan, Purchase, Subscription } from '../domain/types.js';

/** What starting a payment gave: paid already (sandbox), or a checkout page to send the customer to. */
export type CheckoutStart = { paid: true } | { paid: false; checkoutUrl: string; providerRef: string; paymentCustomerRef?: string };

/**
 * What charging a top-up off-session gave: paid at once (sandbox), submitted
 * (the provider's webhook says when it succeeded), or failed with a reason
 * (`card_declined`, `requires_action`, `no_saved_card` …).
 */
export type TopUpCharge =
  | { outcome: 'paid'; paymentRef: string | null }
  | { outcome: 'submitted'; paymentRef: string }
  | { outcome: 'failed'; reason: string; paymentRef: string | null };

/**
 * A payment provider behind one interface: the sandbox pays at once; Stripe
 * returns a Checkout URL and confirms through its webhook.
 */
export interface PaymentProvider {
  readonly name: 'sandbox' | 'stripe';
  startPackCheckout(input: { purchase: Purchase; pack: Pack; customer: Customer }): Promise<CheckoutStart>;
  startSubscriptionCheckout(input: { subscription: Subscription; plan: Plan; customer: Customer }): Promise<CheckoutStart>;
  /** Charges an auto top-up without the customer present, at most once per purchase (its id is the idempotency key). */
  chargeTopUp(input: { purchase: Purchase; customer: Customer }): Promise<TopUpCharge>;
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
  async chargeTopUp() {
    return { outcome: 'paid', paymentRef: null };
  },
};
