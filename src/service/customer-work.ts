import { isUsable } from '../domain/consumption.js';
import { summarizeBalance } from '../domain/balance.js';
import { expiryWarningAt, isDepletion, lowBalanceCrossings, type AlertSettings, type EventType } from '../domain/events.js';
import { dueExpiries, isHoldDue } from '../domain/expiry.js';
import { isPeriodDue, periodBounds, rolloverCredits } from '../domain/periods.js';
import { entryDeltas } from '../domain/ledger.js';
import { entryMoney, paidWith } from '../domain/money.js';
import { planRefund, planReturn, splitForCharge } from '../domain/settlement.js';
import type { Allocation, EntryType, Generation, Grant, Member, Plan, Purchase, Subscription } from '../domain/types.js';
import { noChanges, type CustomerSnapshot, type Decision, type IdempotencyRecord } from '../store/store.js';
import { newId } from './ids.js';
import { RowChanges } from '../store/row-changes.js';
import { currentPlanGrantId } from '../domain/grant-ids.js';
import { anyInForce, countedScopes, effectiveLimits, limitRefusal, windowKey, windowStarts, type EffectiveLimits, type LimitRefusal, type Limits, type SpendWindow } from '../domain/limits.js';
import { decideTopUp, started, topUpPurchaseId, type AutoTopUp } from '../domain/auto-top-up.js';
import {
  dayStart,
  freeRetriesUsed,
  LEGACY_TERMS,
  NO_USAGE,
  policyRule,
  refundSplit,
  reportsToday,
  withinAllowance,
  type FailureReason,
  type RefundTerms,
  type RefundUsage,
} from '../domain/refunds.js';

/** The ledger reason of a free retry's credits going back: it is charged nothing. */
export const FREE_RETRY_RULE = 'free_retry';

/**
 * One customer's working set inside a write: the snapshot the store loaded, the
 * rules applied to it in memory, and the ledger entries every change produces.
 * `finish` hands the store exactly what changed.
 */
export class CustomerWork {
  readonly grants = new Map<string, Grant>();
  readonly generations = new Map<string, Generation>();
  private readonly changes = noChanges();
  private readonly grantRows = new RowChanges<Grant>();
  private readonly generationRows = new RowChanges<Generation>();
  readonly plans = new Map<string, Plan>();
  readonly purchases = new Map<string, Purchase>();
  private readonly purchaseRows = new RowChanges<Purchase>();
  subscription: Subscription | null;
  private subscriptionChanged = false;
  /** The available balance before this write, for the low-balance alerts (Rule 15). */
  private readonly availableBefore: number;
  /** The customer's spend windows of now, when loaded (limits in force); null otherwise. */
  private readonly windows: Map<string, SpendWindow> | null;
  private readonly windowRows = new Map<string, SpendWindow>();
  private readonly ownLimits: Limits | null;
  /** The team members the load named (issue 15), by id. */
  readonly members: ReadonlyMap<string, Member>;
  /** Open holds before this write, and what this write changed of them. */
  private readonly inFlightBefore: number;
  private inFlightDelta = 0;
  /** The customer's auto top-up as this write leaves it; null when none was ever set. */
  autoTopUp: AutoTopUp | null;
  private autoTopUpChanged = false;
  /** Free retries and reports used, as this write leaves them. */
  private refundUsage: RefundUsage;
  private refundUsageChanged = false;

  constructor(
    readonly customerId: string,
    snapshot: CustomerSnapshot,
    readonly now: number,
    readonly alerts: AlertSettings = { lowBalance: [], expiringSoonDays: 0 },
  ) {
    for (const g of snapshot.grants) this.grants.set(g.id, { ...g });
    for (const g of snapshot.generations) if (g.customerId === customerId) this.generations.set(g.id, { ...g, allocations: [...g.allocations] });
    for (const p of snapshot.plans) this.plans.set(p.id, p);
    for (const p of snapshot.purchases) if (p.customerId === customerId) this.purchases.set(p.id, { ...p });
    this.subscription = snapshot.subscription ? { ...snapshot.subscription } : null;
    this.availableBefore = this.available();
    this.windows = snapshot.spendWindows ? new Map(snapshot.spendWindows.map((w) => [windowKey(w), { ...w }])) : null;
    this.ownLimits = snapshot.customer?.limits ?? null;
    this.members = new Map((snapshot.members ?? []).map((m) => [m.id, m]));
    this.inFlightBefore = snapshot.customer?.inFlight ?? 0;
    const a = snapshot.customer?.autoTopUp ?? null;
    this.autoTopUp = a ? { ...a, monthlyLimit: { ...a.monthlyLimit }, state: { ...a.state } } : null;
    this.refundUsage = { ...(snapshot.customer?.refundUsage ?? NO_USAGE) };
  }

  /** The active subscription's plan, whose limits and refund allowances apply; none without one. */
  private activePlan(): Plan | undefined {
    const sub = this.subscription;
    return sub && sub.status === 'active' ? this.plans.get(sub.planId) : undefined;
  }

  /**
   * Whether a retry may be free now (Rule 18): the customer's plan gives free retries
   * (`freeRetriesPerPeriod`; none without a plan) and some are left this period.
   */
  freeRetryLeft(): boolean {
    const plan = this.activePlan();
    const limit = plan ? (plan.freeRetriesPerPeriod === undefined ? 0 : plan.freeRetriesPerPeriod) : 0;
    if (limit === 0) return false;
    return withinAllowance(limit, freeRetriesUsed(this.refundUsage, this.subscription!.currentPeriodStart));
  }

  /** Makes `gen` (not yet reserved) the free retry of `original`, and counts it in the period. */
  claimFreeRetry(gen: Generation, original: Generation): void {
    const periodStart = this.subscription!.currentPeriodStart;
    gen.freeRetry = true;
    original.retriedBy = gen.id;
    this.touch(original);
    this.setRefundUsage({ ...this.refundUsage, periodStart, freeRetries: freeRetriesUsed(this.refundUsage, periodStart) + 1 });
  }

  /** Whether the customer may report one more result today (its plan's `maxReportsPerDay`; null or no plan: unlimited). */
  reportAllowed(): { allowed: boolean; limit: number | null } {
    const limit = this.activePlan()?.maxReportsPerDay ?? null;
    return { allowed: withinAllowance(limit, reportsToday(this.refundUsage, this.now)), limit };
  }

  private setRefundUsage(usage: RefundUsage): void {
    this.refundUsage = usage;
    this.refundUsageChanged = true;
  }

  /** The limits in force: the customer's own, field by field over its active plan's (Rule 16). */
  limits(): EffectiveLimits {
    return effectiveLimits(this.ownLimits, this.activePlan()?.limits);
  }

  /** Generations of this customer still reserved. */
  inFlight(): number {
    return this.inFlightBefore + this.inFlightDelta;
  }

  /**
   * The first limit a reservation of `cost` credits of `toolId` would pass now, or
   * null; a reservation by a team member also meets the member's own caps.
   */
  limitRefusal(toolId: string, cost: number, member: Member | null = null): LimitRefusal | null {
    const caps = member?.limits ? { memberId: member.id, caps: member.limits } : null;
    return limitRefusal(
      this.limits(),
      toolId,
      cost,
      this.inFlight(),
      (scope, subject, window) => this.window({ scope, toolId: scope === 'tool' ? subject : '', memberId: scope === 'member' ? subject : '' }, window, this.now)?.used ?? 0,
      caps,
    );
  }

  /** The loaded window of a scope that `at` falls in, if it is one of now's. */
  private window(scope: Pick<SpendWindow, 'scope' | 'toolId' | 'memberId'>, window: SpendWindow['window'], at: number): SpendWindow | undefined {
    return this.windows?.get(windowKey({ ...scope, window, windowStart: windowStarts(at)[window] }));
  }

  /**
   * Counts a new reservation in now's windows, when limits are in force and the
   * windows are loaded. A team member's reservation is always counted (its team's,
   * its tool's and its own windows), so each member's usage is known.
   */
  private count(gen: Generation): void {
    if (!this.windows || (!gen.memberId && !anyInForce(this.limits()))) return;
    gen.counted = true;
    for (const scope of countedScopes(gen.toolId, gen.memberId)) {
      for (const window of ['day', 'month'] as const) {
        const w = this.window(scope, window, this.now) ?? { customerId: this.customerId, ...scope, window, windowStart: windowStarts(this.now)[window], used: 0 };
        w.used += gen.cost;
        this.windows.set(windowKey(w), w);
        this.windowRows.set(windowKey(w), w);
      }
    }
  }

  /**
   * Credits of a counted reservation that came back stop counting, in the
   * windows it was counted in that are still now's; a window already closed keeps its count.
   */
  private uncount(gen: Generation, amount: number): void {
    if (!gen.counted || amount <= 0) return;
    for (const scope of countedScopes(gen.toolId, gen.memberId)) {
      for (const window of ['day', 'month'] as const) {
        const w = this.window(scope, window, gen.createdAt);
        if (!w || w.windowStart !== windowStarts(this.now)[window]) continue;
        w.used = Math.max(0, w.used - amount);
        this.windowRows.set(windowKey(w), w);
      }
    }
  }

  /** Replaces the customer's auto top-up (settings or state); written with the rest of this write. */
  setAutoTopUp(a: AutoTopUp): void {
    this.autoTopUp = a;
    this.autoTopUpChanged = true;
  }

  /** Credits that can be reserved now. */
  available(): number {
    return this.usableGrants().reduce((sum, grant) => sum + grant.remaining, 0);
  }

  /** Records an event of this write (Rule 14); it is written in the same transaction. */
  emit(type: EventType, data: Record<string, unknown>): void {
    this.changes.events.push({ id: newId('evt'), customerId: this.customerId, type, createdAt: this.now, data });
  }

  /** Grants with credits that can be reserved now. */
  usableGrants(): Grant[] {
    return [...this.grants.values()].filter((g) => isUsable(g, this.now));
  }

  /**
   * Applies what time has done since the last write: holds that ran out fail with
   * reason `timeout` (Rule 7), then grants past their expiry lose what is left.
   */
  catchUp(): void {
    // Events are applied in time order: each period boundary after the holds that ran out before it.
    const sub = this.subscription;
    while (sub && isPeriodDue(sub, this.now)) {
      this.failHoldsDueBy(sub.currentPeriodEnd);
      this.renew(sub);
    }
    this.failHoldsDueBy(this.now);
    for (const grant of dueExpiries([...this.grants.values()], this.now)) {
      this.entry('expire', grant, grant.remaining, null, 'expired');
    }
  }

  private failHoldsDueBy(at: number): void {
    const due = [...this.generations.values()].filter((g) => isHoldDue(g, at)).sort((a, b) => a.holdUntil - b.holdUntil);
    for (const gen of due) this.fail(gen, 'timeout', null, gen.holdUntil);
  }

  /**
   * Rule 8 at one period boundary: the ending period's plan credits expire, up to
   * the rollover cap carried into the next period's grant; a pending downgrade
   * takes effect, a pending cancellation ends the subscription.
   */
  private renew(sub: Subscription): void {
    const boundary = sub.currentPeriodEnd;
    const carry = this.endPeriod(sub, this.plan(sub.planId));
    sub.updatedAt = this.now;
    this.subscriptionChanged = true;
    if (sub.cancelAtPeriodEnd) {
      Object.assign(sub, { status: 'canceled', canceledAt: boundary, cancelAtPeriodEnd: false, pendingPlanId: null });
      // subscription.canceled told the app when the cancellation was asked for; this is its taking effect.
      this.emit('subscription.changed', { subscription: { ...sub } });
      return;
    }
    if (sub.pendingPlanId) {
      Object.assign(sub, { planId: sub.pendingPlanId, pendingPlanId: null, anchor: boundary, periodIndex: 0 });
    } else {
      sub.periodIndex += 1;
    }
    this.startPeriod(sub, carry, 'subscription.renewed');
  }

  /**
   * Sets the subscription's current period from its anchor and index and issues its
   * plan grant. The grant gets a new id of its own, named on the subscription: the
   * period starts once because the subscription moves to it in the same write, and
   * two periods that start in the same millisecond (an upgrade right after a start)
   * still get a grant each.
   */
  startPeriod(sub: Subscription, carry = 0, event: 'subscription.started' | 'subscription.renewed' | 'subscription.changed' = 'subscription.started'): void {
    const plan = this.plan(sub.planId);
    const { start, end } = periodBounds(sub.anchor, plan.period, sub.periodIndex);
    Object.assign(sub, { currentPeriodStart: start, currentPeriodEnd: end, updatedAt: this.now, periodGrantId: newId('plan') });
    this.subscription = sub;
    this.subscriptionChanged = true;
    this.emit(event, { subscription: { ...sub } });
    this.issuePlanGrant(sub, plan, start, end, carry);
  }

  /**
   * Issues the plan grant of the period starting at `start` under the id the
   * subscription names for it, at most once: a second issue is a no-op here and a
   * key violation in the store.
   */
  issuePlanGrant(sub: Subscription, plan: Plan, start: number, end: number, carry = 0): Grant | null {
    const id = currentPlanGrantId(sub);
    const amount = plan.creditsPerPeriod + carry;
    if (this.grants.has(id) || amount <= 0) return this.grants.get(id) ?? null;
    const grant: Grant = {
      id,
      customerId: this.customerId,
      source: 'plan',
      amount,
      remaining: amount,
      expiresAt: end,
      priority: 0,
      createdAt: this.now,
      voidedAt: null,
      reason: carry > 0 ? `${plan.name}: ${plan.creditsPerPeriod} credits + ${carry} rolled over` : `${plan.name}: ${plan.creditsPerPeriod} credits`,
      origin: { kind: 'plan_period', ref: `${sub.id}@${new Date(start).toISOString()}` },
      // The period's price buys all its credits, rolled-over ones included (README, "Books in money").
      ...paidWith(plan.price),
    };
    this.addGrant(grant);
    return grant;
  }

  /**
   * Rule 8 at the end of a period, whoever drives it: the period's unused plan
   * credits expire, and up to `plan`'s rollover cap of them is returned to be
   * carried into the next period's grant.
   */
  endPeriod(sub: Subscription, plan: Plan): number {
    const ending = this.grants.get(currentPlanGrantId(sub));
    const unused = ending && ending.voidedAt === null ? ending.remaining : 0;
    const carry = rolloverCredits(unused, plan.rolloverMax);
    if (unused > 0) this.expireCurrentPlanGrant(sub, carry > 0 ? `period ended; ${carry} carried over` : 'period ended');
    return carry;
  }

  /** Ends the current plan period at once (an upgrade): what is left of its grant expires. */
  expireCurrentPlanGrant(sub: Subscription, reason: string): void {
    const grant = this.grants.get(currentPlanGrantId(sub));
    if (grant && grant.voidedAt === null && grant.remaining > 0) this.entry('expire', grant, grant.remaining, null, reason);
    if (grant && grant.expiresAt !== null && grant.expiresAt > this.now) {
      grant.expiresAt = this.now;
      this.grantRows.update(grant);
    }
  }

  setSubscription(sub: Subscription): void {
    this.subscription = sub;
    this.subscriptionChanged = true;
  }

  plan(id: string): Plan {
    const plan = this.plans.get(id);
    if (!plan) throw new Error(`plan ${id} is not loaded`);
    return plan;
  }

  addPurchase(purchase: Purchase): void {
    this.purchases.set(purchase.id, purchase);
    this.purchaseRows.insert(purchase);
  }

  touchPurchase(purchase: Purchase): void {
    this.purchaseRows.update(purchase);
  }

  addGrant(grant: Grant): void {
    this.grants.set(grant.id, grant);
    this.grantRows.insert(grant);
    grant.warnAt = expiryWarningAt(grant.expiresAt, this.alerts.expiringSoonDays);
    grant.remaining = 0;
    this.entry('grant', grant, grant.amount, null, grant.reason);
    this.emit('credits.granted', { grant: { ...grant } });
  }

  /** Moves every live grant's expiry announcement to the customer's current window (not yet announced ones only). */
  rescheduleExpiryWarnings(): void {
    for (const grant of this.grants.values()) {
      if (grant.voidedAt !== null || grant.remaining === 0 || grant.warnAt === null) continue;
      const warnAt = expiryWarningAt(grant.expiresAt, this.alerts.expiringSoonDays);
      if (warnAt === (grant.warnAt ?? null)) continue;
      grant.warnAt = warnAt;
      this.grantRows.update(grant);
    }
  }

  /** Holds a new generation's allocations, already planned in consumption order. */
  reserve(gen: Generation): void {
    this.count(gen);
    this.inFlightDelta += 1;
    this.generations.set(gen.id, gen);
    this.generationRows.insert(gen);
    for (const part of gen.allocations) this.entry('reserve', this.grant(part.grantId), part.amount, gen, null);
  }

  /** Charges `units` of a reserved generation; what was held beyond that goes back (Rule 5). */
  complete(gen: Generation, units: number): void {
    // A free retry is charged nothing: all it held goes back (Rule 18).
    const charge = gen.freeRetry ? 0 : gen.unitCredits * units;
    const { charged, released } = splitForCharge(gen.allocations, charge);
    for (const part of charged) this.entry('charge', this.grant(part.grantId), part.amount, gen, null);
    this.giveBack(released, gen, 'release', gen.freeRetry ? FREE_RETRY_RULE : 'completed with fewer units');
    this.uncount(gen, gen.cost - charge);
    this.inFlightDelta -= 1;
    Object.assign(gen, { status: 'completed', chargedUnits: units, charged: charge, settledAt: this.now });
    this.touch(gen);
    this.emit('generation.completed', { generation: snapshotOf(gen) });
  }

  /**
   * Fails a reserved generation (Rules 6, 7 and 18): its tool's refund policy for
   * `reason` gives back floor(cost × percent / 100) credits to the grants they
   * came from; the rest is charged, taken as a completion's charge is. A free
   * retry gives everything back. Every entry names the rule that applied.
   */
  fail(gen: Generation, reason: FailureReason, message: string | null, at = this.now): void {
    const percent = gen.freeRetry ? 100 : termsOf(gen).policy[reason];
    const rule = gen.freeRetry ? FREE_RETRY_RULE : policyRule(reason, percent);
    const { returned, kept } = refundSplit(gen.cost, percent);
    const { charged, released } = splitForCharge(gen.allocations, kept);
    for (const part of charged) this.entry('charge', this.grant(part.grantId), part.amount, gen, rule);
    this.giveBack(released, gen, 'release', rule, at);
    this.uncount(gen, returned);
    this.inFlightDelta -= 1;
    Object.assign(gen, { status: 'failed', failureReason: reason, failureMessage: message, charged: kept, settledAt: this.now });
    this.touch(gen);
    this.emit('generation.failed', { generation: snapshotOf(gen), reason, message, refund: { rule, percent, returned, charged: kept } });
  }

  /** Gives back `amount` of what a completed generation was charged (Rule 11). */
  refund(gen: Generation, amount: number, reason: string, data: Record<string, unknown> = {}): void {
    const { charged } = splitForCharge(gen.allocations, gen.charged);
    this.giveBack(planRefund(charged, gen.refunded, amount), gen, 'refund', reason);
    // Refunded credits come back as for a failure (Rule 11), so they stop counting too.
    this.uncount(gen, amount);
    gen.refunded += amount;
    this.touch(gen);
    this.emit('generation.refunded', { generation: snapshotOf(gen), amount, reason, ...data });
  }

  /**
   * A completed generation's result reported bad (Rule 18): its tool's `bad_result`
   * percentage of what it was charged comes back, floor(charged × percent / 100),
   * never more than is left unrefunded; counted in the customer's reports of the day.
   */
  report(gen: Generation, note: string | null): void {
    const percent = termsOf(gen).policy.bad_result;
    const rule = policyRule('bad_result', percent);
    const amount = Math.min(refundSplit(gen.charged, percent).returned, gen.charged - gen.refunded);
    gen.reportedAt = this.now;
    const day = dayStart(this.now);
    this.setRefundUsage({ ...this.refundUsage, day, reports: reportsToday(this.refundUsage, this.now) + 1 });
    this.refund(gen, amount, rule, { report: { reason: 'bad_result', note }, refund: { rule, percent, returned: amount } });
  }

  /**
   * Takes back what is left of a grant; credits held from it lapse when they return.
   * `refunded`: its payment was refunded, so what it loses is a refund in the books.
   */
  voidGrant(grant: Grant, reason: string, refunded = false): void {
    if (refunded) grant.refunded = true;
    if (grant.remaining > 0) this.entry('void', grant, grant.remaining, null, reason);
    grant.voidedAt = this.now;
    grant.reason = grant.reason ? `${grant.reason}; voided: ${reason}` : `voided: ${reason}`;
    this.grantRows.update(grant);
  }

  extendHold(gen: Generation, holdUntil: number): void {
    gen.holdUntil = Math.max(gen.holdUntil, holdUntil);
    this.touch(gen);
  }

  /** What the store must write, with the answer to return now and to replay later. */
  finish<R>(result: R, idempotency?: Omit<IdempotencyRecord, 'createdAt' | 'response'> & { response?: unknown }): Decision<R> {
    this.topUpIfDue();
    this.raiseAlerts();
    const changes = this.changes;
    Object.assign(changes, {
      insertGrants: this.grantRows.inserted,
      updateGrants: this.grantRows.updated,
      insertGenerations: this.generationRows.inserted,
      updateGenerations: this.generationRows.updated,
      insertPurchases: this.purchaseRows.inserted,
      updatePurchases: this.purchaseRows.updated,
      spendWindows: [...this.windowRows.values()],
      inFlightDelta: this.inFlightDelta,
    });
    if (this.subscriptionChanged) changes.subscription = this.subscription;
    if ((this.autoTopUpChanged && this.autoTopUp) || this.refundUsageChanged) changes.customer = { autoTopUp: this.autoTopUp, refundUsage: this.refundUsage };
    if (idempotency) changes.idempotency = { ...idempotency, response: idempotency.response ?? result, createdAt: this.now };
    return { changes, result };
  }

  /**
   * Rule 15: a low-balance alert for each threshold the balance crossed downwards
   * in this write, `credits.depleted` when it reached zero, and the expiry
   * announcement of every grant whose time has come (once: it is then cleared).
   */
  private raiseAlerts(): void {
    const after = this.available();
    const crossed = lowBalanceCrossings(this.availableBefore, after, this.alerts.lowBalance);
    if (crossed.length > 0 || isDepletion(this.availableBefore, after)) {
      const balance = this.balanceData();
      for (const threshold of crossed) this.emit('credits.low', { threshold, balance });
      if (isDepletion(this.availableBefore, after)) this.emit('credits.depleted', { balance });
    }
    for (const grant of this.grants.values()) {
      if (grant.warnAt === null || grant.warnAt === undefined || grant.warnAt > this.now) continue;
      if (grant.voidedAt === null && grant.remaining > 0 && grant.expiresAt !== null && grant.expiresAt > this.now) {
        this.emit('credits.expiring_soon', { grant: { ...grant, warnAt: null }, credits: grant.remaining, expiresAt: grant.expiresAt });
      }
      grant.warnAt = null;
      this.grantRows.update(grant);
    }
  }

  /**
   * Auto top-up, decided as the write ends: when it leaves the balance below the
   * threshold and the top-up is armed, records a pending top-up purchase (paid
   * later, off this write's path) under an id derived from the crossing, and
   * disarms until the balance is back at or above the threshold. Writes to one
   * customer are serialised, so however many cross together, one top-up starts.
   */
  /** Whether auto top-up would start a top-up if this write ended now. */
  topUpDue(): boolean {
    return this.autoTopUp !== null && decideTopUp(this.autoTopUp, this.available(), this.now).fire;
  }

  private topUpIfDue(): void {
    const a = this.autoTopUp;
    if (!a) return;
    const decision = decideTopUp(a, this.available(), this.now);
    if (!decision.fire) {
      if (decision.rearm) this.setAutoTopUp({ ...a, state: { ...a.state, armed: true } });
      return;
    }
    const purchase: Purchase = {
      id: topUpPurchaseId(this.customerId, a.state.crossings + 1),
      customerId: this.customerId,
      packId: a.packId,
      credits: a.credits * a.quantity,
      price: { amount: a.price.amount * a.quantity, currency: a.price.currency },
      expiresInDays: a.expiresInDays,
      status: 'pending',
      provider: a.provider,
      providerRef: null,
      paymentRef: null,
      checkoutUrl: null,
      grantId: null,
      createdAt: this.now,
      paidAt: null,
      refundedAt: null,
      autoTopUp: true,
    };
    this.addPurchase(purchase);
    this.setAutoTopUp({ ...a, state: started(a, purchase.id, this.now) });
  }

  private balanceData(): Record<string, unknown> {
    const { available, breakdown } = summarizeBalance([...this.grants.values()], this.now);
    return { customerId: this.customerId, available, breakdown, asOf: this.now };
  }

  private giveBack(parts: readonly Allocation[], gen: Generation, type: 'release' | 'refund', reason: string, at = this.now): void {
    for (const outcome of planReturn(parts, this.grants, at)) {
      const grant = this.grant(outcome.grantId);
      this.entry(type, grant, outcome.amount, gen, reason);
      if (outcome.lapse === 'expired') this.entry('expire', grant, outcome.amount, gen, 'returned to an expired grant');
      if (outcome.lapse === 'voided') this.entry('void', grant, outcome.amount, gen, 'returned to a voided grant');
    }
  }

  private grant(id: string): Grant {
    const grant = this.grants.get(id);
    if (!grant) throw new Error(`grant ${id} is not loaded`);
    return grant;
  }

  private touch(gen: Generation): void {
    this.generationRows.update(gen);
  }

  private entry(type: EntryType, grant: Grant, amount: number, gen: Generation | null, reason: string | null): void {
    if (amount <= 0) return;
    const deltas = entryDeltas(type, amount);
    const { money, consumed } = entryMoney(grant, type, amount);
    grant.remaining += deltas.availableDelta;
    grant.consumed = consumed;
    if (grant.remaining < 0) throw new Error(`grant ${grant.id} would go negative`);
    this.grantRows.update(grant);
    if (type === 'expire') this.emit('credits.expired', { grant: { ...grant }, amount, reason });
    if (type === 'void') this.emit('credits.voided', { grant: { ...grant }, amount, reason });
    this.changes.ledger.push({
      customerId: this.customerId,
      type,
      grantId: grant.id,
      source: grant.source,
      generationId: gen?.id ?? null,
      toolId: gen?.toolId ?? null,
      memberId: gen?.memberId ?? null,
      amount,
      ...deltas,
      money,
      reason,
      createdAt: this.now,
    });
  }
}

function snapshotOf(gen: Generation): Generation {
  return { ...gen, allocations: [...gen.allocations] };
}

/** The refund terms a generation was reserved under. */
export function termsOf(gen: Generation): RefundTerms {
  return gen.refundTerms ?? LEGACY_TERMS;
}
