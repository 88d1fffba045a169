import { isPeriodDue, isUpgrade } from '../domain/periods.js';
import type { Subscription } from '../domain/types.js';
import { sandboxProvider } from '../payments/provider.js';
import type { ServiceContext } from './context.js';
import { getCustomer } from './customers.js';
import { errors } from './errors.js';
import { currentPlanGrantId } from '../domain/grant-ids.js';
import { begin } from './generations.js';
import { newId } from './ids.js';
import { getPlan } from './plans.js';

export interface SubscriptionChange {
  subscription: Subscription;
  /** Where to send the customer to pay, when the provider is not the sandbox. */
  checkoutUrl: string | null;
  /** What the change did: started, upgraded now, downgrade scheduled, resumed, unchanged. */
  effect: 'started' | 'upgraded' | 'downgrade_scheduled' | 'resumed' | 'unchanged' | 'checkout';
}

/**
 * Subscribes a customer or changes their plan (Rule 9): a new subscription or an
 * upgrade starts a period of the plan now; a downgrade waits for the period's
 * end; naming the current plan again resumes a pending cancellation or change.
 */
export async function changePlan(ctx: ServiceContext, customerId: string, planId: string, reason: string | null = null): Promise<SubscriptionChange> {
  const plan = await getPlan(ctx, planId);
  if (!plan.active) throw errors.invalid('planId', `plan ${planId} is not offered any more`);
  const customer = await getCustomer(ctx, customerId);
  const payments = ctx.payments ?? sandboxProvider;
  const current = await ctx.store.getSubscription(customerId);
  const now = ctx.clock.now();

  // A new subscription paid through a checkout page starts when the provider confirms it.
  if ((!current || current.status !== 'active') && payments.name !== 'sandbox') {
    const subscription: Subscription = newSubscription(customerId, planId, now, 'stripe', 'incomplete');
    const start = await payments.startSubscriptionCheckout({ subscription, plan, customer });
    if (!start.paid) {
      return ctx.store.transact(customerId, { now, planIds: [planId] }, (snapshot) => {
        const work = begin(snapshot, customerId, now, ctx.alerts);
        if (work.subscription?.status === 'active') throw errors.subscriptionActive();
        work.setSubscription({ ...subscription, providerRef: start.providerRef });
        return work.finish({ subscription: work.subscription!, checkoutUrl: start.checkoutUrl, effect: 'checkout' as const });
      });
    }
  }

  // The current period's grant is loaded even when spent: an upgrade ends it, and credits held from it must not outlive it.
  const grantIds = current ? [currentPlanGrantId(current)] : [];
  return ctx.store.transact(customerId, { now, planIds: [planId], grantIds }, (snapshot) => {
    const work = begin(snapshot, customerId, now, ctx.alerts);
    const sub = work.subscription;
    let effect: SubscriptionChange['effect'];
    if (!sub || sub.status !== 'active') {
      work.startPeriod({ ...newSubscription(customerId, planId, now, 'purse', 'active'), changeReason: reason });
      effect = 'started';
    } else if (sub.planId === planId) {
      effect = sub.cancelAtPeriodEnd || sub.pendingPlanId ? 'resumed' : 'unchanged';
      if (effect === 'resumed') {
        work.setSubscription({ ...sub, cancelAtPeriodEnd: false, pendingPlanId: null, updatedAt: now, changeReason: reason });
        work.emit('subscription.changed', { subscription: { ...work.subscription! } });
      }
    } else if (isUpgrade(work.plan(sub.planId), plan)) {
      work.expireCurrentPlanGrant(sub, reason ? `upgraded to ${planId}: ${reason}` : `upgraded to ${planId}`);
      work.startPeriod({ ...sub, planId, anchor: now, periodIndex: 0, cancelAtPeriodEnd: false, pendingPlanId: null, changeReason: reason }, 0, 'subscription.changed');
      effect = 'upgraded';
    } else {
      work.setSubscription({ ...sub, pendingPlanId: planId, cancelAtPeriodEnd: false, updatedAt: now, changeReason: reason });
      work.emit('subscription.changed', { subscription: { ...work.subscription! } });
      effect = 'downgrade_scheduled';
    }
    return work.finish({ subscription: work.subscription!, checkoutUrl: null, effect });
  });
}

/** Cancels at the period's end (Rule 9); credits stay usable until then. Cancelling twice changes nothing. */
export async function cancelSubscription(ctx: ServiceContext, customerId: string, reason: string | null = null): Promise<Subscription> {
  const now = ctx.clock.now();
  return ctx.store.transact(customerId, { now }, (snapshot) => {
    const work = begin(snapshot, customerId, now, ctx.alerts);
    const sub = work.subscription;
    if (!sub || sub.status !== 'active') throw errors.notFound('subscription of customer', customerId);
    if (!sub.cancelAtPeriodEnd) {
      work.setSubscription({ ...sub, cancelAtPeriodEnd: true, pendingPlanId: null, updatedAt: now, changeReason: reason });
      work.emit('subscription.canceled', { subscription: { ...work.subscription! } });
    }
    return work.finish(work.subscription!);
  });
}

/** The customer's subscription, with any period that ended applied first. */
export async function getSubscription(ctx: ServiceContext, customerId: string): Promise<Subscription> {
  await getCustomer(ctx, customerId);
  const now = ctx.clock.now();
  let sub = await ctx.store.getSubscription(customerId);
  if (isPeriodDue(sub, now)) {
    sub = await ctx.store.transact(customerId, { now }, (snapshot) => {
      const work = begin(snapshot, customerId, now, ctx.alerts);
      return work.finish(work.subscription);
    });
  }
  if (!sub) throw errors.notFound('subscription of customer', customerId);
  return sub;
}

function newSubscription(customerId: string, planId: string, now: number, drivenBy: Subscription['drivenBy'], status: Subscription['status']): Subscription {
  return {
    id: newId('sub'),
    customerId,
    planId,
    status,
    drivenBy,
    anchor: now,
    periodIndex: 0,
    currentPeriodStart: now,
    currentPeriodEnd: now,
    cancelAtPeriodEnd: false,
    pendingPlanId: null,
    providerRef: null,
    createdAt: now,
    updatedAt: now,
    canceledAt: null,
    changeReason: null,
    periodGrantId: null,
  };
}
