import type { Grant, Purchase } from '../domain/types.js';
import { sandboxProvider } from '../payments/provider.js';
import { decodeGenerationCursor, encodeGenerationCursor } from '../store/cursor.js';
import type { ServiceContext } from './context.js';
import { paidWith } from '../domain/money.js';
import type { CustomerWork } from './customer-work.js';
import { getCustomer } from './customers.js';
import { errors } from './errors.js';
import { begin } from './generations.js';
import { newId } from './ids.js';
import { replayed, replayFor, requestHash } from './idempotency.js';
import { getPack } from './plans.js';
import type { Answer } from './results.js';
import { readPage } from './paging.js';
import { packGrantId } from '../domain/grant-ids.js';
import { DAY_MS } from '../domain/time.js';


/**
 * Buys a pack (Rule 10). The sandbox pays at once and the add-on grant is made in
 * the same transaction; a real provider returns a checkout URL and the grant
 * follows its payment notice, exactly once.
 */
export async function buyPack(ctx: ServiceContext, customerId: string, packId: string, idempotencyKey?: string): Promise<Answer<Purchase>> {
  const pack = await getPack(ctx, packId);
  if (!pack.active) throw errors.invalid('packId', `pack ${packId} is not offered any more`);
  const customer = await getCustomer(ctx, customerId);
  const payments = ctx.payments ?? sandboxProvider;
  const key = idempotencyKey === undefined ? undefined : `purchase:${idempotencyKey}`;
  const hash = requestHash({ packId });
  const now = ctx.clock.now();
  const purchase: Purchase = {
    id: newId('pur'),
    customerId,
    packId,
    credits: pack.credits,
    price: pack.price,
    expiresInDays: pack.expiresInDays,
    status: 'pending',
    provider: payments.name,
    providerRef: null,
    paymentRef: null,
    checkoutUrl: null,
    grantId: null,
    createdAt: now,
    paidAt: null,
    refundedAt: null,
    autoTopUp: false,
  };
  if (key) {
    // A retry must not open a second checkout: answer from the first attempt if there was one.
    const first = await ctx.store.transact(customerId, { now, idempotencyKey: key }, (snapshot) => {
      const work = begin(snapshot, customerId, now, ctx.alerts);
      return work.finish(replayFor(snapshot, key, hash));
    });
    if (first) return { statusCode: first.statusCode, body: first.response as Purchase, replayed: true };
  }
  const start = await payments.startPackCheckout({ purchase, pack, customer });
  if (!start.paid && start.paymentCustomerRef && start.paymentCustomerRef !== customer.paymentCustomerRef) {
    await ctx.store.setPaymentCustomerRef(customerId, start.paymentCustomerRef);
  }
  return ctx.store.transact<Answer<Purchase>>(customerId, { now, idempotencyKey: key }, (snapshot) => {
    const work = begin(snapshot, customerId, now, ctx.alerts);
    const again = replayed<Purchase>(work, snapshot, key, hash);
    if (again) return again;
    // A copy: a store may decide a write more than once (on a fresh snapshot), and each time must
    // start from the pending purchase, not from one an earlier, discarded decision marked paid.
    const bought = { ...purchase };
    work.addPurchase(bought);
    if (start.paid) markPaid(work, bought, null);
    else Object.assign(bought, { providerRef: start.providerRef, checkoutUrl: start.checkoutUrl });
    const body = { ...bought };
    return work.finish({ statusCode: 201, body, replayed: false }, key ? { key, requestHash: hash, statusCode: 201, response: body } : undefined);
  });
}

/**
 * Marks a pending purchase paid and adds its add-on grant. Its grant id is derived
 * from the purchase, so however often a payment notice comes, it grants once.
 */
export function markPaid(work: CustomerWork, purchase: Purchase, paymentRef: string | null): Grant | null {
  if (purchase.status !== 'pending') return null;
  const grant: Grant = {
    id: packGrantId(purchase.id),
    customerId: purchase.customerId,
    source: 'addon',
    amount: purchase.credits,
    remaining: purchase.credits,
    expiresAt: purchase.expiresInDays === null ? null : work.now + purchase.expiresInDays * DAY_MS,
    priority: 0,
    createdAt: work.now,
    voidedAt: null,
    reason: `pack ${purchase.packId}`,
    origin: { kind: 'purchase', ref: purchase.id },
    ...paidWith(purchase.price),
  };
  work.addGrant(grant);
  Object.assign(purchase, { status: 'paid', paidAt: work.now, grantId: grant.id, paymentRef: paymentRef ?? purchase.paymentRef });
  work.touchPurchase(purchase);
  work.emit('purchase.paid', { purchase: { ...purchase } });
  return grant;
}

/**
 * A refunded purchase takes back what is left of its grant (Rule 10). A refund
 * that arrives before the payment notice leaves the purchase refunded, so the
 * late notice grants nothing.
 */
export function markRefunded(work: CustomerWork, purchase: Purchase, reason: string): void {
  if (purchase.status === 'refunded') return;
  if (purchase.grantId) {
    const grant = work.grants.get(purchase.grantId);
    if (grant && grant.voidedAt === null) work.voidGrant(grant, reason, true);
  }
  Object.assign(purchase, { status: 'refunded', refundedAt: work.now });
  work.touchPurchase(purchase);
  work.emit('purchase.refunded', { purchase: { ...purchase } });
}

/** An operator's refund of a sandbox purchase (Stripe refunds arrive as `charge.refunded`). */
export async function refundPurchase(ctx: ServiceContext, purchaseId: string, reason: string): Promise<Purchase> {
  const found = await ctx.store.getPurchase(purchaseId);
  if (!found) throw errors.notFound('purchase', purchaseId);
  if (found.provider !== 'sandbox') throw errors.refundInProvider();
  const now = ctx.clock.now();
  return ctx.store.transact(found.customerId, { now, purchaseIds: [purchaseId], grantIds: found.grantId ? [found.grantId] : [] }, (snapshot) => {
    const work = begin(snapshot, found.customerId, now, ctx.alerts);
    const purchase = work.purchases.get(purchaseId)!;
    if (purchase.status === 'pending' || purchase.status === 'canceled') throw errors.purchaseNotRefundable(purchaseId, purchase.status);
    markRefunded(work, purchase, `purchase refunded: ${reason}`);
    return work.finish({ ...purchase });
  });
}

export async function getPurchase(ctx: ServiceContext, id: string, authorize: (customerId: string) => void = () => {}): Promise<Purchase> {
  const purchase = await ctx.store.getPurchase(id);
  if (!purchase) throw errors.notFound('purchase', id);
  authorize(purchase.customerId);
  return purchase;
}

export async function listPurchases(ctx: ServiceContext, customerId: string, page: { cursor?: string; limit: number }) {
  await getCustomer(ctx, customerId);
  return readPage(page, decodeGenerationCursor, (p) => ctx.store.listPurchases(customerId, p), encodeGenerationCursor);
}
