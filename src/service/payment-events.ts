import type { Purchase, Subscription } from '../domain/types.js';
import { META } from '../payments/stripe-provider.js';
import type { ServiceContext } from './context.js';
import type { CustomerWork } from './customer-work.js';
import { currentPlanGrantId, legacyPlanGrantId, packGrantId, providerPeriodGrantId } from '../domain/grant-ids.js';
import { begin } from './generations.js';
import { markPaid, markRefunded } from './purchases.js';

/** The part of a Stripe event Purse reads. */
export interface PaymentEvent {
  id: string;
  type: string;
  created: number;
  data: { object: Record<string, any> };
}

/**
 * What an event did. `mismatch`: the event contradicts what Purse knows (an
 * unknown purchase, another customer or pack, a price not paid in full): it is
 * acknowledged so Stripe stops sending it, changes nothing, and is logged and
 * counted (purse_payment_event_mismatches_total).
 */
export type EventOutcome = { applied: boolean; duplicate: boolean; note?: string; mismatch?: true };

const mismatch = (note: string): EventOutcome => ({ applied: false, duplicate: false, mismatch: true, note });

const sec = (s: unknown): number | null => (typeof s === 'number' ? s * 1000 : null);
const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : v && typeof v === 'object' && typeof (v as { id?: unknown }).id === 'string' ? (v as { id: string }).id : null);

/**
 * Applies one Stripe event exactly once (Rule 10): the event id is recorded in
 * the same transaction as its effect, and every effect is itself idempotent
 * (deterministic grant ids, one-way status changes), so redeliveries and events
 * out of order leave the balance as one in-order delivery would.
 */
export async function applyPaymentEvent(ctx: ServiceContext, event: PaymentEvent): Promise<EventOutcome> {
  const obj = event.data.object;
  switch (event.type) {
    case 'checkout.session.completed':
    case 'checkout.session.async_payment_succeeded':
      return obj.mode === 'subscription' ? subscriptionCheckoutCompleted(ctx, event) : packCheckoutCompleted(ctx, event);
    case 'invoice.paid':
      return invoicePaid(ctx, event);
    case 'customer.subscription.updated':
    case 'customer.subscription.deleted':
      return subscriptionChanged(ctx, event);
    case 'charge.refunded':
      return chargeRefunded(ctx, event);
    default:
      return { applied: false, duplicate: false, note: `Purse does not act on ${event.type}` };
  }
}

/** Runs `apply` for the event's customer unless this event was applied before. */
async function once(
  ctx: ServiceContext,
  event: PaymentEvent,
  customerId: string | null,
  load: { purchaseIds?: string[]; grantIds?: string[]; planIds?: string[] },
  apply: (work: CustomerWork) => string | void,
): Promise<EventOutcome> {
  if (!customerId) return { applied: false, duplicate: false, note: 'the event names no Purse customer' };
  if (!(await ctx.store.getCustomer(customerId))) return { applied: false, duplicate: false, note: `customer ${customerId} does not exist` };
  const key = `stripe:${event.id}`;
  const now = ctx.clock.now();
  return ctx.store.transact<EventOutcome>(customerId, { now, idempotencyKey: key, ...load }, (snapshot) => {
    const work = begin(snapshot, customerId, now, ctx.alerts);
    if (snapshot.idempotency) return work.finish({ applied: false, duplicate: true });
    const note = apply(work) ?? undefined;
    work.catchUp();
    const outcome: EventOutcome = { applied: true, duplicate: false, ...(note ? { note } : {}) };
    return work.finish(outcome, { key, requestHash: event.type, statusCode: 200, response: outcome });
  });
}

/**
 * A pack's Checkout paid: grants the purchase Purse stored, for its stored
 * customer and pack, only when the amount and currency paid are its price.
 * The event's metadata only finds the purchase; it is never trusted beyond that.
 */
async function packCheckoutCompleted(ctx: ServiceContext, event: PaymentEvent): Promise<EventOutcome> {
  const session = event.data.object;
  const meta = (session.metadata ?? {}) as Record<string, string>;
  const purchaseId = meta[META.purchase];
  if (!purchaseId) return { applied: false, duplicate: false, note: 'not a Purse purchase' };
  const known = await ctx.store.getPurchase(purchaseId);
  const wrong = known ? contradicts(meta, known) : `purchase ${purchaseId} is unknown to Purse`;
  if (wrong) return mismatch(wrong);
  const purchase = known!;
  if (session.payment_status !== 'paid' && session.payment_status !== 'no_payment_required') return { applied: false, duplicate: false, note: 'payment not yet received' };
  const paid = { amount: session.amount_total, currency: typeof session.currency === 'string' ? session.currency.toLowerCase() : session.currency };
  if (paid.amount !== purchase.price.amount || paid.currency !== purchase.price.currency) {
    return mismatch(`paid ${String(paid.amount)} ${String(paid.currency)} for purchase ${purchaseId}, whose price is ${purchase.price.amount} ${purchase.price.currency}`);
  }
  return once(ctx, event, purchase.customerId, { purchaseIds: [purchaseId] }, (work) => {
    const stored = work.purchases.get(purchaseId)!;
    if (!markPaid(work, stored, str(session.payment_intent))) return `purchase already ${stored.status}`;
  });
}

/** Why an event's metadata contradicts the stored purchase it names, or null. */
function contradicts(meta: Record<string, string>, purchase: Purchase): string | null {
  const customer = meta[META.customer];
  if (customer !== undefined && customer !== purchase.customerId) return `the event names customer ${customer}, but purchase ${purchase.id} is ${purchase.customerId}'s`;
  const pack = meta[META.pack];
  if (pack !== undefined && pack !== purchase.packId) return `the event names pack ${pack}, but purchase ${purchase.id} is of pack ${purchase.packId}`;
  if (purchase.provider !== 'stripe') return `purchase ${purchase.id} was not made through Stripe`;
  return null;
}

async function chargeRefunded(ctx: ServiceContext, event: PaymentEvent): Promise<EventOutcome> {
  const charge = event.data.object;
  if (charge.refunded !== true) return { applied: false, duplicate: false, note: 'partial refunds leave the credits in place' };
  const meta = (charge.metadata ?? {}) as Record<string, string>;
  const purchaseId = meta[META.purchase];
  const paymentRef = str(charge.payment_intent);
  const known = purchaseId ? await ctx.store.getPurchase(purchaseId) : paymentRef ? await ctx.store.findPurchaseByRef(paymentRef) : null;
  if (!known) return purchaseId ? mismatch(`purchase ${purchaseId} is unknown to Purse`) : { applied: false, duplicate: false, note: 'not a Purse purchase' };
  const wrong = purchaseId ? contradicts(meta, known) : null;
  if (wrong) return mismatch(wrong);
  const grantIds = known.grantId ? [known.grantId] : [packGrantId(known.id)];
  return once(ctx, event, known.customerId, { purchaseIds: [known.id], grantIds }, (work) => {
    // A refund before the payment notice leaves the purchase refunded, so the late notice grants nothing.
    markRefunded(work, work.purchases.get(known.id)!, 'purchase refunded in Stripe');
  });
}

async function subscriptionCheckoutCompleted(ctx: ServiceContext, event: PaymentEvent): Promise<EventOutcome> {
  const session = event.data.object;
  const meta = (session.metadata ?? {}) as Record<string, string>;
  const planId = meta[META.plan];
  return once(ctx, event, meta[META.customer] ?? null, { planIds: planId ? [planId] : [] }, (work) => {
    const sub = adoptSubscription(work, meta, str(session.subscription));
    if (!sub) return 'the subscription and its plan are unknown';
    if (sub.status === 'incomplete') {
      work.setSubscription({ ...sub, status: 'active', updatedAt: work.now });
      work.emit('subscription.started', { subscription: { ...work.subscription! } });
    }
  });
}

/**
 * A paid invoice starts its period when Stripe drives the subscription: the plan
 * grant of [period start, period end) is issued once, with the rollover of the
 * period before it.
 */
async function invoicePaid(ctx: ServiceContext, event: PaymentEvent): Promise<EventOutcome> {
  const invoice = event.data.object;
  const details = invoice.parent?.subscription_details ?? invoice.subscription_details ?? {};
  const meta = (details.metadata ?? invoice.metadata ?? {}) as Record<string, string>;
  const line = invoice.lines?.data?.[0];
  const start = sec(line?.period?.start ?? invoice.period_start);
  const end = sec(line?.period?.end ?? invoice.period_end);
  const planId = meta[META.plan];
  if (start === null || end === null || end <= start) return { applied: false, duplicate: false, note: 'the invoice has no period' };
  // The period's grant is loaded even when spent, so a second notice finds it and issues nothing.
  const subscriptionId = meta[META.subscription];
  const current = subscriptionId ? await ctx.store.getSubscription(meta[META.customer] ?? '') : null;
  const periodPlanId = planId ?? current?.planId;
  // Before plan grants named their plan, a Stripe period's grant was `plan:<subscription>:<start>`: load both forms.
  const grantIds = subscriptionId
    ? [legacyPlanGrantId(subscriptionId, start), ...(periodPlanId ? [providerPeriodGrantId(subscriptionId, periodPlanId, start)] : []), ...(current ? [currentPlanGrantId(current)] : [])]
    : [];
  return once(ctx, event, meta[META.customer] ?? null, { planIds: planId ? [planId] : [], grantIds }, (work) => {
    const sub = adoptSubscription(work, meta, str(details.subscription ?? invoice.subscription));
    if (!sub) return 'the subscription and its plan are unknown';
    if (sub.status === 'canceled' && sub.canceledAt !== null && sub.canceledAt <= start) return 'the subscription ended before this period';
    const plan = work.plan(planId ?? sub.planId);
    let carry = 0;
    const periodGrantId = providerPeriodGrantId(sub.id, plan.id, start);
    if (work.grants.has(periodGrantId) || work.grants.has(legacyPlanGrantId(sub.id, start))) return 'this period was issued already';
    if (sub.currentPeriodStart < start) {
      carry = work.endPeriod(sub, plan);
    } else if (sub.currentPeriodStart === start && sub.planId !== plan.id) {
      // Another plan's period from the same instant (a change of plan at once, Rule 9): the old plan's credits end now.
      work.expireCurrentPlanGrant(sub, `changed to ${plan.id}`);
    }
    const next = sub.currentPeriodStart <= start ? { ...sub, planId: plan.id, currentPeriodStart: start, currentPeriodEnd: end, periodGrantId } : sub;
    work.setSubscription({ ...next, status: sub.status === 'canceled' ? 'canceled' : 'active', updatedAt: work.now });
    if (next !== sub) work.emit(sub.planId !== plan.id ? 'subscription.changed' : 'subscription.renewed', { subscription: { ...work.subscription! } });
    work.issuePlanGrant({ ...next, periodGrantId }, plan, start, end, carry);
  });
}

async function subscriptionChanged(ctx: ServiceContext, event: PaymentEvent): Promise<EventOutcome> {
  const obj = event.data.object;
  const meta = (obj.metadata ?? {}) as Record<string, string>;
  const planId = meta[META.plan];
  return once(ctx, event, meta[META.customer] ?? null, { planIds: planId ? [planId] : [] }, (work) => {
    const sub = adoptSubscription(work, meta, str(obj.id));
    if (!sub) return 'the subscription and its plan are unknown';
    if (sub.status === 'canceled') return 'already canceled';
    if (event.type === 'customer.subscription.deleted' || obj.status === 'canceled') {
      work.setSubscription({ ...sub, status: 'canceled', canceledAt: sec(obj.ended_at) ?? work.now, cancelAtPeriodEnd: false, updatedAt: work.now });
      work.emit('subscription.changed', { subscription: { ...work.subscription! } });
      return;
    }
    const cancelAtPeriodEnd = obj.cancel_at_period_end === true;
    work.setSubscription({ ...sub, cancelAtPeriodEnd, updatedAt: work.now });
    if (cancelAtPeriodEnd !== sub.cancelAtPeriodEnd) work.emit(cancelAtPeriodEnd ? 'subscription.canceled' : 'subscription.changed', { subscription: { ...work.subscription! } });
  });
}

/** The customer's subscription named by the event, created from its metadata if Purse has not seen it yet. */
function adoptSubscription(work: CustomerWork, meta: Record<string, string>, stripeId: string | null): Subscription | null {
  const id = meta[META.subscription];
  const current = work.subscription;
  if (current && (current.id === id || (stripeId !== null && current.providerRef === stripeId))) {
    if (stripeId && current.providerRef !== stripeId) {
      const updated = { ...current, providerRef: stripeId };
      work.setSubscription(updated);
      return updated;
    }
    return current;
  }
  const planId = meta[META.plan];
  if (!id || !planId || !work.plans.has(planId)) return null;
  const sub: Subscription = {
    id,
    customerId: work.customerId,
    planId,
    status: 'incomplete',
    drivenBy: 'stripe',
    anchor: work.now,
    periodIndex: 0,
    currentPeriodStart: 0,
    currentPeriodEnd: 0,
    cancelAtPeriodEnd: false,
    pendingPlanId: null,
    providerRef: stripeId,
    createdAt: work.now,
    updatedAt: work.now,
    canceledAt: null,
    changeReason: null,
    periodGrantId: null,
  };
  work.setSubscription(sub);
  return sub;
}
