import { monthOf, thisMonth, type AutoTopUp } from '../domain/auto-top-up.js';
import type { BreakdownLine } from '../domain/balance.js';
import type { Customer, Generation, Grant, LedgerEntry, Pack, Plan, Purchase, Subscription, Tool, ToolPrice } from '../domain/types.js';
import type { Balance } from '../service/customers.js';
import type { PurseEvent } from '../domain/events.js';
import { DEFAULT_REPORT_WINDOW_HOURS } from '../domain/refunds.js';
import type { LimitsState } from '../service/limits.js';
import type { MemberState } from '../service/members.js';

/** Domain objects as the API shows them: ISO times, string ids for entries. */
const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

export const view = {
  member: (m: MemberState) => ({
    customerId: m.customerId,
    id: m.id,
    name: m.name,
    email: m.email,
    role: m.role,
    limits: m.limits,
    limitsReason: m.limitsReason,
    used: m.used,
    windows: {
      day: { start: iso(m.windows.day.start), end: iso(m.windows.day.end) },
      month: { start: iso(m.windows.month.start), end: iso(m.windows.month.end) },
    },
    createdAt: iso(m.createdAt),
    updatedAt: iso(m.updatedAt),
    removedAt: isoOrNull(m.removedAt),
  }),
  limits: (l: LimitsState) => ({
    customerId: l.customerId,
    own: l.own,
    reason: l.reason,
    planId: l.planId,
    effective: l.effective,
    used: l.used,
    inFlight: l.inFlight,
    windows: {
      day: { start: iso(l.windows.day.start), end: iso(l.windows.day.end) },
      month: { start: iso(l.windows.month.start), end: iso(l.windows.month.end) },
    },
    asOf: iso(l.asOf),
  }),
  tool: (t: Tool) => ({
    id: t.id,
    name: t.name,
    credits: t.credits,
    unit: t.unit,
    description: t.description,
    holdSeconds: t.holdSeconds,
    refundPolicy: t.refundPolicy ?? null,
    reportWindowHours: t.reportWindowHours ?? DEFAULT_REPORT_WINDOW_HOURS,
    active: t.active,
    createdAt: iso(t.createdAt),
    updatedAt: iso(t.updatedAt),
  }),
  toolPrice: (p: ToolPrice) => ({ credits: p.credits, unit: p.unit, effectiveAt: iso(p.effectiveAt) }),
  customer: (c: Customer) => ({
    id: c.id,
    name: c.name,
    email: c.email,
    metadata: c.metadata,
    createdAt: iso(c.createdAt),
    updatedAt: iso(c.updatedAt),
  }),
  grant: (g: Grant) => ({
    id: g.id,
    customerId: g.customerId,
    source: g.source,
    amount: g.amount,
    remaining: g.remaining,
    expiresAt: isoOrNull(g.expiresAt),
    priority: g.priority,
    reason: g.reason,
    voidedAt: isoOrNull(g.voidedAt),
    createdAt: iso(g.createdAt),
    paid: g.paid,
    currency: g.currency,
  }),
  generation: (g: Generation) => ({
    id: g.id,
    customerId: g.customerId,
    toolId: g.toolId,
    status: g.status,
    units: g.units,
    unitCredits: g.unitCredits,
    cost: g.cost,
    chargedUnits: g.chargedUnits,
    charged: g.charged,
    refunded: g.refunded,
    allocations: g.allocations.map((a) => ({ grantId: a.grantId, amount: a.amount })),
    metadata: g.metadata,
    holdUntil: iso(g.holdUntil),
    failureReason: g.failureReason,
    failureMessage: g.failureMessage ?? null,
    reportedAt: isoOrNull(g.reportedAt ?? null),
    retryOf: g.retryOf ?? null,
    freeRetry: g.freeRetry ?? false,
    createdAt: iso(g.createdAt),
    settledAt: isoOrNull(g.settledAt),
    memberId: g.memberId ?? null,
  }),
  entry: (e: LedgerEntry) => ({
    id: String(e.id),
    type: e.type,
    amount: e.amount,
    availableDelta: e.availableDelta,
    reservedDelta: e.reservedDelta,
    money: e.money,
    grantId: e.grantId,
    source: e.source,
    generationId: e.generationId,
    toolId: e.toolId,
    memberId: e.memberId ?? null,
    reason: e.reason,
    createdAt: iso(e.createdAt),
  }),
  breakdown: (l: BreakdownLine) => ({ source: l.source, available: l.available, expiresAt: isoOrNull(l.expiresAt) }),
  balance: (b: Balance) => ({
    customerId: b.customerId,
    available: b.available,
    reserved: b.reserved,
    breakdown: b.breakdown.map(view.breakdown),
    subscription: b.subscription
      ? {
          planId: b.subscription.planId,
          status: b.subscription.status,
          currentPeriodEnd: iso(b.subscription.currentPeriodEnd),
          cancelAtPeriodEnd: b.subscription.cancelAtPeriodEnd,
          pendingPlanId: b.subscription.pendingPlanId,
        }
      : null,
    expiringSoon: b.expiringSoon ? { credits: b.expiringSoon.credits, expiresAt: iso(b.expiringSoon.expiresAt) } : null,
    asOf: iso(b.asOf),
  }),
  /** An event with its data rendered as the API renders each object anywhere else. */
  event: (e: PurseEvent) => ({
    id: e.id,
    type: e.type,
    createdAt: iso(e.createdAt),
    customerId: e.customerId,
    sequence: e.seq ?? 0,
    data: renderEventData(e.data),
  }),
  plan: (p: Plan) => ({
    id: p.id,
    name: p.name,
    creditsPerPeriod: p.creditsPerPeriod,
    period: p.period,
    price: { amount: p.price.amount, currency: p.price.currency },
    rollover: { max: p.rolloverMax },
    limits: p.limits,
    freeRetriesPerPeriod: p.freeRetriesPerPeriod === undefined ? 0 : p.freeRetriesPerPeriod,
    maxReportsPerDay: p.maxReportsPerDay ?? null,
    description: p.description,
    active: p.active,
    createdAt: iso(p.createdAt),
    updatedAt: iso(p.updatedAt),
  }),
  pack: (p: Pack) => ({
    id: p.id,
    name: p.name,
    credits: p.credits,
    price: { amount: p.price.amount, currency: p.price.currency },
    expiresInDays: p.expiresInDays,
    description: p.description,
    active: p.active,
    createdAt: iso(p.createdAt),
    updatedAt: iso(p.updatedAt),
  }),
  subscription: (s: Subscription) => ({
    id: s.id,
    customerId: s.customerId,
    planId: s.planId,
    status: s.status,
    currentPeriodStart: iso(s.currentPeriodStart),
    currentPeriodEnd: iso(s.currentPeriodEnd),
    cancelAtPeriodEnd: s.cancelAtPeriodEnd,
    pendingPlanId: s.pendingPlanId,
    drivenBy: s.drivenBy,
    createdAt: iso(s.createdAt),
    canceledAt: isoOrNull(s.canceledAt),
    changeReason: s.changeReason,
  }),
  purchase: (p: Purchase) => ({
    id: p.id,
    customerId: p.customerId,
    packId: p.packId,
    credits: p.credits,
    price: { amount: p.price.amount, currency: p.price.currency },
    status: p.status,
    provider: p.provider,
    checkoutUrl: p.checkoutUrl,
    grantId: p.grantId,
    createdAt: iso(p.createdAt),
    paidAt: isoOrNull(p.paidAt),
    refundedAt: isoOrNull(p.refundedAt),
    autoTopUp: p.autoTopUp ?? false,
  }),
  autoTopUp: (customerId: string, a: AutoTopUp | null, now: number) => {
    const month = a ? thisMonth(a.state, now) : { month: monthOf(now), purchases: 0, amount: 0 };
    return {
      customerId,
      enabled: a?.enabled ?? false,
      threshold: a?.threshold ?? null,
      packId: a?.packId ?? null,
      quantity: a?.quantity ?? null,
      monthlyLimit: { purchases: a?.monthlyLimit.purchases ?? null, amount: a?.monthlyLimit.amount ?? null },
      cooldownSeconds: a?.cooldownSeconds ?? null,
      topUp: a ? { credits: a.credits * a.quantity, price: { amount: a.price.amount * a.quantity, currency: a.price.currency } } : null,
      reason: a?.reason ?? null,
      thisMonth: month,
      state: {
        armed: a?.state.armed ?? true,
        failuresInRow: a?.state.failuresInRow ?? 0,
        pendingPurchaseId: a?.state.pendingPurchaseId ?? null,
        lastTopUpAt: isoOrNull(a?.state.lastTopUpAt ?? null),
        lastFailure: a?.state.lastFailure ? { ...a.state.lastFailure, at: iso(a.state.lastFailure.at) } : null,
      },
    };
  },
};

/** Each object in an event's data as its own view; times as ISO instants. */
function renderEventData(data: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data)) {
    if (key === 'grant') out.grant = view.grant(value as Grant);
    else if (key === 'generation') out.generation = view.generation(value as Generation);
    else if (key === 'purchase') out.purchase = view.purchase(value as Purchase);
    else if (key === 'subscription') out.subscription = view.subscription(value as Subscription);
    else if (key === 'balance') {
      const b = value as { customerId: string; available: number; breakdown: BreakdownLine[]; asOf: number };
      out.balance = { customerId: b.customerId, available: b.available, breakdown: b.breakdown.map(view.breakdown), asOf: iso(b.asOf) };
    } else if (key === 'expiresAt') out.expiresAt = isoOrNull(value as number | null);
    else out[key] = value;
  }
  return out;
}
