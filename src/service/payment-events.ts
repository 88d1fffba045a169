import type { Purchase, Subscription } from '../domain/types.js';
import type { PaymentEvent, PurseRefs } from '../payments/stripe-events.js';
import type { ServiceContext } from './context.js';
import type { CustomerWork } from './customer-work.js';
import { currentPlanGrantId, legacyPlanGrantId, packGrantId, providerPeriodGrantId } from '../domain/grant-ids.js';
import { begin } from './generations.js';
import { markPaid, markRefunded } from './purchases.js';
import { failIn, settleIn } from './auto-top-up.js';

/**
 * What an event did. `mismatch`: the event contradicts what Purse knows (an
 * unknown purchase, another customer or pack, a price not paid in full): it is
 * acknowledged so Stripe stops sending it, changes nothing, and is logged and
 * counted (purse_payment_event_mismatches_total).
 */
export type EventOutcome = { applied: boolean; duplicate: boolean; note?: string; mismatch?: true };

const mismatch = (note: string): EventOutcome => ({ applied: false, duplicate: false, mismatch: true, note });
const skipped = (note: string): EventOutcome => ({ applied: false, duplicate: false, note });

/**
 * Applies one Stripe event exactly once (Rule 10): the event id is recorded in
 * the same transaction as its effect, and every effect is itself idempotent
 * (deterministic grant ids, one-way status changes), so redeliveries and events
 * out of order leave the balance as one in-order delivery would.
 */
export async function applyPaymentEvent(ctx: ServiceContext, event: PaymentEvent): Promise<EventOutcome> {
  switch (event.kind) {
    case 'pack_paid':
      return packPaid(ctx, event);
    case 'pack_refunded':
      return packRefunded(ctx, event);
    case 'subscription_started':
      return subscriptionStarted(ctx, event);
    case 'period_paid':
      return periodPaid(ctx, event);
    case 'subscription_updated':
      return subscriptionUpdated(ctx, event);
    case 'top_up_paid':
      return topUpPaid(ctx, event);
    case 'top_up_failed':
      return topUpFailed(ctx, event);
    case 'ignored':
      return skipped(`Purse does not act on ${event.type}`);
  }
}

type Of<K extends PaymentEvent['kind']> = Extract<PaymentEvent, { kind: K }>;

/** Runs `apply` for the event's customer unless this event was applied before. */
async function once(
  ctx: ServiceContext,
  event: PaymentEvent,
  customerId: string | null,
  load: { purchaseIds?: string[]; grantIds?: string[]; planIds?: string[] },
  apply: (work: CustomerWork) => string | void,
): Promise<EventOutcome> {
  if (!customerId) return skipped('the event names no Purse customer');
  if (!(await ctx.store.getCustomer(customerId))) return skipped(`customer ${customerId} does not exist`);
  const key = `stripe:${event.eventId}`;
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
async function packPaid(ctx: ServiceContext, event: Of<'pack_paid'>): Promise<EventOutcome> {
  const purchaseId = event.refs.purchaseId;
  if (!purchaseId) return skipped('not a Purse purchase');
  const known = await ctx.store.getPurchase(purchaseId);
  const wrong = known ? contradicts(event.refs, known) : `purchase ${purchaseId} is unknown to Purse`;
  if (wrong) return mismatch(wrong);
  const purchase = known!;
  if (!event.paid) return skipped('payment not yet received');
  if (event.amount !== purchase.price.amount || event.currency !== purchase.price.currency) {
    return mismatch(`paid ${String(event.amount)} ${String(event.currency)} for purchase ${purchaseId}, whose price is ${purchase.price.amount} ${purchase.price.currency}`);
  }
  return once(ctx, event, purchase.customerId, { purchaseIds: [purchaseId] }, (work) => {
    const stored = work.purchases.get(purchaseId)!;
    if (!markPaid(work, stored, event.paymentRef)) return `purchase already ${stored.status}`;
  });
}

/**
 * An auto top-up's off-session payment succeeded: grants the top-up once, when
 * the amount and currency are its price. Out of order (after Purse failed it on a
 * late `requires_action`) it still grants: the money was taken.
 */
async function topUpPaid(ctx: ServiceContext, event: Of<'top_up_paid'>): Promise<EventOutcome> {
  const known = await knownTopUp(ctx, event.refs, event.paymentRef);
  if ('outcome' in known) return known.outcome;
  const { purchase } = known;
  if (event.amount !== purchase.price.amount || event.currency !== purchase.price.currency) {
    return mismatch(`paid ${String(event.amount)} ${String(event.currency)} for top-up ${purchase.id}, whose price is ${purchase.price.amount} ${purchase.price.currency}`);
  }
  return once(ctx, event, purchase.customerId, { purchaseIds: [purchase.id] }, (work) => {
    const stored = work.purchases.get(purchase.id)!;
    if (!settleIn(work, stored, event.paymentRef)) return `top-up already ${stored.status}`;
  });
}

/** An auto top-up's payment failed after it was submitted: the top-up fails (once; a paid one stays paid). */
async function topUpFailed(ctx: ServiceContext, event: Of<'top_up_failed'>): Promise<EventOutcome> {
  const known = await knownTopUp(ctx, event.refs, event.paymentRef);
  if ('outcome' in known) return known.outcome;
  const { purchase } = known;
  return once(ctx, event, purchase.customerId, { purchaseIds: [purchase.id] }, (work) => {
    const stored = work.purchases.get(purchase.id)!;
    if (!failIn(work, stored, event.reason, event.paymentRef)) return `top-up already ${stored.status}`;
  });
}

/** The stored top-up an event names, or what to answer when there is none. */
async function knownTopUp(ctx: ServiceContext, refs: PurseRefs, paymentRef: string | null): Promise<{ purchase: Purchase } | { outcome: EventOutcome }> {
  const purchaseId = refs.purchaseId;
  if (!purchaseId) return { outcome: skipped('not a Purse top-up') };
  const known = await ctx.store.getPurchase(purchaseId);
  const wrong = known ? contradicts(refs, known) : `purchase ${purchaseId} is unknown to Purse`;
  if (wrong) return { outcome: mismatch(wrong) };
  if (!known!.autoTopUp) return { outcome: mismatch(`purchase ${purchaseId} is not an auto top-up`) };
  if (known!.paymentRef !== null && paymentRef !== null && known!.paymentRef !== paymentRef) {
    return { outcome: mismatch(`top-up ${purchaseId} was paid by ${known!.paymentRef}, not ${paymentRef}`) };
  }
  return { purchase: known! };
}

/** Why an event's metadata contradicts the stored purchase it names, or null. */
function contradicts(refs: PurseRefs, purchase: Purchase): string | null {
  const customer = refs.customerId;
  if (customer !== null && customer !== purchase.customerId) return `the event names customer ${customer}, but purchase ${purchase.id} is ${purchase.customerId}'s`;
  const pack = refs.packId;
  if (pack !== null && pack !== purchase.packId) return `the event names pack ${pack}, but purchase ${purchase.id} is of pack ${purchase.packId}`;
  if (purchase.provider !== 'stripe') return `purchase ${purchase.id} was not made through Stripe`;
  return null;
}

async function packRefunded(ctx: ServiceContext, event: Of<'pack_refunded'>): Promise<EventOutcome> {
  if (!event.fully) return skipped('partial refunds leave the credits in place');
  const purchaseId = event.refs.purchaseId;
  const known = purchaseId ? await ctx.store.getPurchase(purchaseId) : event.paymentRef ? await ctx.store.findPurchaseByRef(event.paymentRef) : null;
  if (!known) return purchaseId ? mismatch(`purchase ${purchaseId} is unknown to Purse`) : skipped('not a Purse purchase');
  const wrong = purchaseId ? contradicts(event.refs, known) : null;
  if (wrong) return mismatch(wrong);
  const grantIds = known.grantId ? [known.grantId] : [packGrantId(known.id)];
  return once(ctx, event, known.customerId, { purchaseIds: [known.id], grantIds }, (work) => {
    // A refund before the payment notice leaves the purchase refunded, so the late notice grants nothing.
    markRefunded(work, work.purchases.get(known.id)!, 'purchase refunded in Stripe');
  });
}

async function subscriptionStarted(ctx: ServiceContext, event: Of<'subscription_started'>): Promise<EventOutcome> {
  const planId = event.refs.planId;
  return once(ctx, event, event.refs.customerId, { planIds: planId ? [planId] : [] }, (work) => {
    const sub = adoptSubscription(work, event.refs, event.providerSubscriptionId);
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
async function periodPaid(ctx: ServiceContext, event: Of<'period_paid'>): Promise<EventOutcome> {
  if (!event.period) return skipped('the invoice has no period');
  const { start, end } = event.period;
  const { planId, subscriptionId, customerId } = event.refs;
  // The period's grant is loaded even when spent, so a second notice finds it and issues nothing.
  const current = subscriptionId ? await ctx.store.getSubscription(customerId ?? '') : null;
  const periodPlanId = planId ?? current?.planId;
  // Before plan grants named their plan, a Stripe period's grant was `plan:<subscription>:<start>`: load both forms.
  const grantIds = subscriptionId
    ? [legacyPlanGrantId(subscriptionId, start), ...(periodPlanId ? [providerPeriodGrantId(subscriptionId, periodPlanId, start)] : []), ...(current ? [currentPlanGrantId(current)] : [])]
    : [];
  return once(ctx, event, customerId, { planIds: planId ? [planId] : [], grantIds }, (work) => {
    const sub = adoptSubscription(work, event.refs, event.providerSubscriptionId);
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

async function subscriptionUpdated(ctx: ServiceContext, event: Of<'subscription_updated'>): Promise<EventOutcome> {
  const planId = event.refs.planId;
  return once(ctx, event, event.refs.customerId, { planIds: planId ? [planId] : [] }, (work) => {
    const sub = adoptSubscription(work, event.refs, event.providerSubscriptionId);
    if (!sub) return 'the subscription and its plan are unknown';
    if (sub.status === 'canceled') return 'already canceled';
    if (event.ended) {
      work.setSubscription({ ...sub, status: 'canceled', canceledAt: event.endedAt ?? work.now, cancelAtPeriodEnd: false, updatedAt: work.now });
      work.emit('subscription.changed', { subscription: { ...work.subscription! } });
      return;
    }
    const cancelAtPeriodEnd = event.cancelAtPeriodEnd;
    work.setSubscription({ ...sub, cancelAtPeriodEnd, updatedAt: work.now });
    if (cancelAtPeriodEnd !== sub.cancelAtPeriodEnd) work.emit(cancelAtPeriodEnd ? 'subscription.canceled' : 'subscription.changed', { subscription: { ...work.subscription! } });
  });
}

/** The customer's subscription named by the event, created from its metadata if Purse has not seen it yet. */
function adoptSubscription(work: CustomerWork, refs: PurseRefs, stripeId: string | null): Subscription | null {
  const id = refs.subscriptionId;
  const current = work.subscription;
  if (current && (current.id === id || (stripeId !== null && current.providerRef === stripeId))) {
    if (stripeId && current.providerRef !== stripeId) {
      const updated = { ...current, providerRef: stripeId };
      work.setSubscription(updated);
      return updated;
    }
    return current;
  }
  const planId = refs.planId;
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
