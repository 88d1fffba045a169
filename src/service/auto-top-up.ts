import {
  DEFAULT_COOLDOWN_SECONDS,
  failed,
  initialState,
  MAX_FAILURES_IN_ROW,
  succeeded,
  type AutoTopUp,
} from '../domain/auto-top-up.js';
import type { Purchase } from '../domain/types.js';
import { sandboxProvider, type TopUpCharge } from '../payments/provider.js';
import type { ServiceContext } from './context.js';
import type { CustomerWork } from './customer-work.js';
import { getCustomer } from './customers.js';
import { errors } from './errors.js';
import { begin } from './generations.js';
import { markPaid } from './purchases.js';

/** What PUT /v1/customers/{id}/auto-top-up sets. */
export interface AutoTopUpInput {
  enabled: boolean;
  threshold: number;
  packId: string;
  quantity?: number;
  monthlyLimit?: { purchases?: number; amount?: number };
  cooldownSeconds?: number;
  /** Why it was set (the console asks); kept with the settings. */
  reason?: string;
}

/** Auto top-up as the API shows it: the settings, what one top-up buys, this month's count and amount, and the state. */
export interface AutoTopUpStatus {
  customerId: string;
  autoTopUp: AutoTopUp | null;
}

/** The most pending top-ups the worker takes in one pass. */
const MAX_TOP_UPS_PER_PASS = 50;

/** A customer's auto top-up (null: never set). */
export async function getAutoTopUp(ctx: ServiceContext, customerId: string): Promise<AutoTopUpStatus> {
  const customer = await getCustomer(ctx, customerId);
  return { customerId, autoTopUp: customer.autoTopUp ?? null };
}

/**
 * Sets a customer's auto top-up, in one write of the customer: enabled while the
 * balance is already below the threshold, it starts a top-up at once (the write's
 * end decides it, as for any other write). The pack's credits and price are taken
 * now; setting it again takes a new price.
 */
export async function setAutoTopUp(ctx: ServiceContext, customerId: string, input: AutoTopUpInput): Promise<AutoTopUpStatus> {
  await getCustomer(ctx, customerId);
  const pack = await ctx.store.getPack(input.packId);
  if (!pack) throw errors.invalid('packId', `pack ${input.packId} does not exist`);
  if (!pack.active) throw errors.invalid('packId', `pack ${input.packId} is not offered any more`);
  const quantity = input.quantity ?? 1;
  const limit = { purchases: input.monthlyLimit?.purchases ?? null, amount: input.monthlyLimit?.amount ?? null };
  if (limit.amount !== null && limit.amount < pack.price.amount * quantity) {
    throw errors.invalid('monthlyLimit.amount', `is less than one top-up costs (${pack.price.amount * quantity} ${pack.price.currency})`);
  }
  const now = ctx.clock.now();
  const provider = (ctx.payments ?? sandboxProvider).name;
  const autoTopUp = await ctx.store.transact(customerId, { now }, (snapshot) => {
    const work = begin(snapshot, customerId, now, ctx.alerts);
    const before = work.autoTopUp;
    const state = before ? { ...before.state } : initialState(now);
    // Turning it on (again) gives it a clean slate: armed, no failures in a row.
    if (input.enabled && !(before?.enabled ?? false)) Object.assign(state, { armed: true, failuresInRow: 0 });
    const next: AutoTopUp = {
      enabled: input.enabled,
      threshold: input.threshold,
      packId: pack.id,
      quantity,
      monthlyLimit: limit,
      cooldownSeconds: input.cooldownSeconds ?? before?.cooldownSeconds ?? ctx.autoTopUpCooldownSeconds ?? DEFAULT_COOLDOWN_SECONDS,
      credits: pack.credits,
      price: { ...pack.price },
      expiresInDays: pack.expiresInDays,
      provider,
      reason: input.reason ?? null,
      state,
    };
    work.setAutoTopUp(next);
    // The write's end may start a top-up and change the state: answer with it as written.
    const { changes } = work.finish(null);
    return { changes, result: work.autoTopUp! };
  });
  return { customerId, autoTopUp };
}

/**
 * The worker's pass (off every request's path): takes pending top-ups, oldest
 * first, and pays each through the customer's provider. The sandbox pays at
 * once; Stripe confirms an off-session PaymentIntent, and its webhook grants.
 * Returns how many it handled. One top-up's error is reported and does not stop
 * the others; it is taken again on the next pass.
 */
export async function payPendingTopUps(ctx: ServiceContext, opts: { onError?: (purchaseId: string, err: unknown) => void } = {}): Promise<number> {
  const pending = await ctx.store.pendingTopUps(MAX_TOP_UPS_PER_PASS);
  let handled = 0;
  for (const purchase of pending) {
    try {
      await payTopUp(ctx, purchase);
      handled++;
    } catch (err) {
      opts.onError?.(purchase.id, err);
    }
  }
  return handled;
}

async function payTopUp(ctx: ServiceContext, purchase: Purchase): Promise<void> {
  const pack = await ctx.store.getPack(purchase.packId);
  if (!pack || !pack.active) {
    await failTopUp(ctx, purchase.customerId, purchase.id, 'pack_unavailable');
    return;
  }
  const payments = ctx.payments ?? sandboxProvider;
  if (payments.name !== purchase.provider) {
    // Set while another provider was configured: this one cannot charge it.
    await failTopUp(ctx, purchase.customerId, purchase.id, 'provider_unavailable');
    return;
  }
  const customer = await getCustomer(ctx, purchase.customerId);
  const charge: TopUpCharge = await payments.chargeTopUp({ purchase, customer });
  if (charge.outcome === 'paid') {
    await settleTopUp(ctx, purchase.customerId, purchase.id, charge.paymentRef);
    return;
  }
  if (charge.outcome === 'failed') {
    await failTopUp(ctx, purchase.customerId, purchase.id, charge.reason, charge.paymentRef);
    return;
  }
  // The provider took the payment (or is still taking it): its webhook grants, once.
  await recordPaymentRef(ctx, purchase.customerId, purchase.id, charge.paymentRef);
}

/** Notes the provider's payment on a pending top-up, so the worker does not charge it again. */
async function recordPaymentRef(ctx: ServiceContext, customerId: string, purchaseId: string, paymentRef: string): Promise<void> {
  const now = ctx.clock.now();
  await ctx.store.transact(customerId, { now, purchaseIds: [purchaseId] }, (snapshot) => {
    const work = begin(snapshot, customerId, now, ctx.alerts);
    const purchase = work.purchases.get(purchaseId);
    if (purchase && purchase.status === 'pending' && purchase.paymentRef === null) {
      purchase.paymentRef = paymentRef;
      work.touchPurchase(purchase);
    }
    return work.finish(undefined);
  });
}

/**
 * A top-up paid: grants its credits once (the grant id is derived from the
 * purchase) and ends the failures in a row. A payment Stripe reports for a
 * top-up Purse had failed (the customer completed it later) still grants: the
 * money was taken.
 */
export async function settleTopUp(ctx: ServiceContext, customerId: string, purchaseId: string, paymentRef: string | null): Promise<boolean> {
  const now = ctx.clock.now();
  return ctx.store.transact(customerId, { now, purchaseIds: [purchaseId] }, (snapshot) => {
    const work = begin(snapshot, customerId, now, ctx.alerts);
    const purchase = work.purchases.get(purchaseId);
    return work.finish(purchase ? settleIn(work, purchase, paymentRef) : false);
  });
}

/** {@link settleTopUp} inside a write already open (the payment webhook's). */
export function settleIn(work: CustomerWork, purchase: Purchase, paymentRef: string | null): boolean {
  if (!purchase.autoTopUp) return false;
  const hadFailed = purchase.status === 'canceled';
  if (hadFailed) purchase.status = 'pending';
  if (!markPaid(work, purchase, paymentRef)) return false;
  const a = work.autoTopUp;
  if (a) work.setAutoTopUp({ ...a, state: succeeded(a, purchase, hadFailed) });
  work.emit('auto_top_up.succeeded', { purchase: { ...purchase } });
  return true;
}

/**
 * A top-up that could not be paid: the purchase is canceled, the failure is
 * counted and announced, and after {@link MAX_FAILURES_IN_ROW} in a row auto
 * top-up turns itself off and says so.
 */
export async function failTopUp(ctx: ServiceContext, customerId: string, purchaseId: string, reason: string, paymentRef: string | null = null): Promise<boolean> {
  const now = ctx.clock.now();
  return ctx.store.transact(customerId, { now, purchaseIds: [purchaseId] }, (snapshot) => {
    const work = begin(snapshot, customerId, now, ctx.alerts);
    const purchase = work.purchases.get(purchaseId);
    return work.finish(purchase ? failIn(work, purchase, reason, paymentRef) : false);
  });
}

/** {@link failTopUp} inside a write already open (the payment webhook's). */
export function failIn(work: CustomerWork, purchase: Purchase, reason: string, paymentRef: string | null): boolean {
  if (!purchase.autoTopUp || purchase.status !== 'pending') return false;
  Object.assign(purchase, { status: 'canceled', paymentRef: paymentRef ?? purchase.paymentRef });
  work.touchPurchase(purchase);
  const a = work.autoTopUp;
  if (!a) return true;
  const state = failed(a, purchase, reason, work.now);
  work.emit('auto_top_up.failed', { purchase: { ...purchase }, reason, failuresInRow: state.failuresInRow });
  if (a.enabled && state.failuresInRow >= MAX_FAILURES_IN_ROW) {
    const why = `${state.failuresInRow} top-ups failed in a row`;
    work.setAutoTopUp({ ...a, enabled: false, reason: why, state });
    work.emit('auto_top_up.disabled', { reason: why, lastFailure: reason });
  } else {
    work.setAutoTopUp({ ...a, state });
  }
  return true;
}

/**
 * Runs {@link payPendingTopUps} every `pollMs` until stopped (the delivery
 * worker's shape); errors are reported, not fatal.
 */
export function startTopUpWorker(ctx: ServiceContext, opts: { pollMs: number; onError: (err: unknown) => void; beforeEach?: () => Promise<void> | void }): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    running = Promise.resolve(opts.beforeEach?.())
      .then(() => payPendingTopUps(ctx, { onError: (_id, err) => opts.onError(err) }))
      .catch(opts.onError)
      .finally(() => {
        busy = false;
      });
  }, opts.pollMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
