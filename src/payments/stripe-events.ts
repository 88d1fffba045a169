import { META } from './stripe-provider.js';

/** What Purse's own ids on a Stripe object name (its metadata); any may be missing. */
export interface PurseRefs {
  customerId: string | null;
  purchaseId: string | null;
  packId: string | null;
  subscriptionId: string | null;
  planId: string | null;
}

/**
 * A payment provider's notice, as the service applies it: Stripe's wire format
 * stays in this folder. `eventId` is the provider's id of the notice (applied
 * once); `type` its own name, for logs.
 */
export type PaymentEvent = { eventId: string; type: string } & (
  | {
      kind: 'pack_paid';
      refs: PurseRefs;
      /** The payment has been received (not just the checkout finished). */
      paid: boolean;
      amount: number | null;
      currency: string | null;
      paymentRef: string | null;
    }
  | { kind: 'pack_refunded'; refs: PurseRefs; fully: boolean; paymentRef: string | null }
  | { kind: 'subscription_started'; refs: PurseRefs; providerSubscriptionId: string | null }
  | { kind: 'period_paid'; refs: PurseRefs; providerSubscriptionId: string | null; period: { start: number; end: number } | null }
  | {
      kind: 'subscription_updated';
      refs: PurseRefs;
      providerSubscriptionId: string | null;
      ended: boolean;
      endedAt: number | null;
      cancelAtPeriodEnd: boolean;
    }
  /** An off-session top-up's PaymentIntent succeeded (`payment_intent.succeeded`). */
  | { kind: 'top_up_paid'; refs: PurseRefs; amount: number | null; currency: string | null; paymentRef: string | null }
  /** It failed (`payment_intent.payment_failed`), with Stripe's reason. */
  | { kind: 'top_up_failed'; refs: PurseRefs; reason: string; paymentRef: string | null }
  | { kind: 'ignored' }
);

/** The parts of a Stripe event Purse reads (the `stripe` SDK's `Stripe.Event` has more). */
export interface StripeEventLike {
  id: string;
  type: string;
  data: { object: unknown };
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' ? (v as Obj) : {});
const text = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);
/** An id Stripe may send as a string or as an expanded object. */
const idOf = (v: unknown): string | null => text(v) ?? text(obj(v).id);
const ms = (seconds: unknown): number | null => (typeof seconds === 'number' ? seconds * 1000 : null);

function refs(metadata: unknown): PurseRefs {
  const m = obj(metadata);
  return {
    customerId: text(m[META.customer]),
    purchaseId: text(m[META.purchase]),
    packId: text(m[META.pack]),
    subscriptionId: text(m[META.subscription]),
    planId: text(m[META.plan]),
  };
}

/** Reads a verified Stripe event into the notice Purse applies. */
export function parseStripeEvent(event: StripeEventLike): PaymentEvent {
  const o = obj(event.data.object);
  const base = { eventId: event.id, type: event.type };
  switch (event.type) {
    case 'checkout.session.completed':
    case 'checkout.session.async_payment_succeeded':
      if (o.mode === 'subscription') return { ...base, kind: 'subscription_started', refs: refs(o.metadata), providerSubscriptionId: idOf(o.subscription) };
      return {
        ...base,
        kind: 'pack_paid',
        refs: refs(o.metadata),
        paid: o.payment_status === 'paid' || o.payment_status === 'no_payment_required',
        amount: typeof o.amount_total === 'number' ? o.amount_total : null,
        currency: text(o.currency)?.toLowerCase() ?? null,
        paymentRef: idOf(o.payment_intent),
      };
    case 'invoice.paid': {
      const details = obj(obj(o.parent).subscription_details ?? o.subscription_details);
      const line = obj(((obj(o.lines).data as unknown[] | undefined) ?? [])[0]);
      const start = ms(obj(line.period).start ?? o.period_start);
      const end = ms(obj(line.period).end ?? o.period_end);
      return {
        ...base,
        kind: 'period_paid',
        refs: refs(details.metadata ?? o.metadata),
        providerSubscriptionId: idOf(details.subscription ?? o.subscription),
        period: start !== null && end !== null && end > start ? { start, end } : null,
      };
    }
    case 'customer.subscription.updated':
    case 'customer.subscription.deleted':
      return {
        ...base,
        kind: 'subscription_updated',
        refs: refs(o.metadata),
        providerSubscriptionId: idOf(o.id),
        ended: event.type === 'customer.subscription.deleted' || o.status === 'canceled',
        endedAt: ms(o.ended_at),
        cancelAtPeriodEnd: o.cancel_at_period_end === true,
      };
    case 'payment_intent.succeeded':
    case 'payment_intent.payment_failed': {
      // Only auto top-ups are paid by a bare PaymentIntent; a Checkout purchase is granted by its session's event.
      if (obj(o.metadata)[META.autoTopUp] !== 'true') return { ...base, kind: 'ignored' };
      if (event.type === 'payment_intent.succeeded') {
        return {
          ...base,
          kind: 'top_up_paid',
          refs: refs(o.metadata),
          amount: typeof o.amount_received === 'number' ? o.amount_received : typeof o.amount === 'number' ? o.amount : null,
          currency: text(o.currency)?.toLowerCase() ?? null,
          paymentRef: idOf(o.id),
        };
      }
      const error = obj(o.last_payment_error);
      const reason = error.code === 'authentication_required' ? 'requires_action' : (text(error.code) ?? 'payment_failed');
      return { ...base, kind: 'top_up_failed', refs: refs(o.metadata), reason, paymentRef: idOf(o.id) };
    }
    case 'charge.refunded':
      return { ...base, kind: 'pack_refunded', refs: refs(o.metadata), fully: o.refunded === true, paymentRef: idOf(o.payment_intent) };
    default:
      return { ...base, kind: 'ignored' };
  }
}
