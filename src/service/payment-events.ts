import type { Purchase, Subscription } from '../domain/types.js';
import { META } from '../payments/stripe-provider.js';
import type { ServiceContext } from './context.js';
import { currentPlanGrantId, providerPeriodGrantId, type CustomerWork } from './customer-work.js';
import { begin } from './generations.js';
import { rolloverCredits } from '../domain/periods.js';
import { markPaid, markRefunded } from './purchases.js';

/** The part of a Stripe event Purse reads. */
export interface PaymentEvent {
  id: string;
  type: string;
  created: number;
  data: { object: Record<string, any> };
}

export type EventOutcome = { applied: boolean; duplicate: boolean; note?: string };

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

async function packCheckoutCompleted(ctx: ServiceContext, event: PaymentEvent): Promise<EventOutcome> {
  const session = event.data.object;
  const meta = (session.metadata ?? {}) as Record<string, string>;
  const purchaseId = meta[META.purchase];
  const customerId = meta[META.customer] ?? null;
  if (!purchaseId) return { applied: false, duplicate: false, note: 'not a Purse purchase' };
  const packId = meta[META.pack];
  const pack = packId ? await ctx.store.getPack(packId) : null;
  return once(ctx, event, customerId, { purchaseIds: [purchaseId] }, (work) => {
    const purchase = work.purchases.get(purchaseId) ?? adoptPurchase(work, session, purchaseId, pack);
    if (!purchase) return 'the purchase and its pack are unknown';
    if (session.payment_status !== 'paid' && session.payment_status !== 'no_payment_required') return 'payment not yet received';
    if (!markPaid(work, purchase, str(session.payment_intent))) return `purchase already ${purchase.status}`;
  });
}

/** A purchase Purse has no row for (its own insert was lost): rebuilt from the session and the pack. */
function adoptPurchase(work: CustomerWork, session: Record<string, any>, id: string, pack: { id: string; credits: number; price: Purchase['price']; expiresInDays: number | null } | null): Purchase | null {
  if (!pack) return null;
  const purchase: Purchase = {
    id,
    customerId: work.customerId,
    packId: pack.id,
    credits: pack.credits,
    price: { amount: Number(session.amount_total ?? pack.price.amount), currency: String(session.currency ?? pack.price.currency) },
    expiresInDays: pack.expiresInDays,
    status: 'pending',
    provider: 'stripe',
    providerRef: str(session.id),
    paymentRef: str(session.payment_intent),
    checkoutUrl: null,
    grantId: null,
    createdAt: work.now,
    paidAt: null,
    refundedAt: null,
  };
  work.addPurchase(purchase);
  return purchase;
}

async function chargeRefunded(ctx: ServiceContext, event: PaymentEvent): Promise<EventOutcome> {
  const charge = event.data.object;
  if (charge.refunded !== true) return { applied: false, duplicate: false, note: 'partial refunds leave the credits in place' };
  let meta = (charge.metadata ?? {}) as Record<string, string>;
  let purchaseId = meta[META.purchase];
  if (!purchaseId) {
    const byPayment = str(charge.payment_intent) ? await ctx.store.findPurchaseByRef(str(charge.payment_intent)!) : null;
    if (!byPayment) return { applied: false, duplicate: false, note: 'not a Purse purchase' };
    purchaseId = byPayment.id;
    meta = { [META.customer]: byPayment.customerId, [META.pack]: byPayment.packId };
  }
  const known = await ctx.store.getPurchase(purchaseId);
  const packId = meta[META.pack] ?? known?.packId;
  const pack = packId ? await ctx.store.getPack(packId) : null;
  const grantIds = known?.grantId ? [known.grantId] : [`addon:${purchaseId}`];
  return once(ctx, event, meta[META.customer] ?? known?.customerId ?? null, { purchaseIds: [purchaseId], grantIds }, (work) => {
    // A refund before the payment notice still records the purchase, so the late notice grants nothing.
    const purchase = work.purchases.get(purchaseId) ?? adoptPurchase(work, { payment_intent: charge.payment_intent }, purchaseId, pack);
    if (!purchase) return 'the purchase and its pack are unknown';
    markRefunded(work, purchase, 'purchase refunded in Stripe');
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
    ? [`plan:${subscriptionId}:${start}`, ...(periodPlanId ? [providerPeriodGrantId(subscriptionId, periodPlanId, start)] : []), ...(current ? [currentPlanGrantId(current)] : [])]
    : [];
  return once(ctx, event, meta[META.customer] ?? null, { planIds: planId ? [planId] : [], grantIds }, (work) => {
    const sub = adoptSubscription(work, meta, str(details.subscription ?? invoice.subscription));
    if (!sub) return 'the subscription and its plan are unknown';
    if (sub.status === 'canceled' && sub.canceledAt !== null && sub.canceledAt <= start) return 'the subscription ended before this period';
    const plan = work.plan(planId ?? sub.planId);
    let carry = 0;
    const periodGrantId = providerPeriodGrantId(sub.id, plan.id, start);
    if (work.grants.has(periodGrantId) || work.grants.has(`plan:${sub.id}:${start}`)) return 'this period was issued already';
    if (sub.currentPeriodStart < start) {
      const previous = work.grants.get(currentPlanGrantId(sub));
      if (previous && previous.voidedAt === null && previous.remaining > 0) {
        carry = rolloverCredits(previous.remaining, plan.rolloverMax);
        work.expireCurrentPlanGrant(sub, carry > 0 ? `period ended; ${carry} carried over` : 'period ended');
      }
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
