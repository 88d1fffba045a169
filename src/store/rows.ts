import type { PurseEvent } from '../domain/events.js';
import type { Customer, Generation, Grant, GrantSource, LedgerEntry, Member, Pack, Plan, Purchase, Subscription, Tool, ToolPrice } from '../domain/types.js';
import type { ApiKeyRecord, CustomerUpdate, IdempotencyRecord } from './store.js';
import type { SpendWindow } from '../domain/limits.js';
import { classifyFailure } from '../domain/refunds.js';

/** Rows as either adapter returns them (snake_case columns, numbers or numeric strings), mapped to the domain's nouns and back. */
type Row = Record<string, unknown>;

const json = (v: unknown) => (v == null ? null : JSON.parse(String(v)));
const num = (v: unknown) => (v == null ? null : Number(v));

export function toGrant(r: Row): Grant {
  return {
    id: r.id as string,
    customerId: r.customer_id as string,
    source: r.source as GrantSource,
    amount: Number(r.amount),
    remaining: Number(r.remaining),
    expiresAt: num(r.expires_at),
    priority: Number(r.priority),
    createdAt: Number(r.created_at),
    voidedAt: num(r.voided_at),
    reason: (r.reason as string | null) ?? null,
    origin: json(r.origin),
    warnAt: num(r.warn_at),
    paid: Number(r.paid ?? 0),
    currency: (r.currency as string | null) ?? null,
    consumed: Number(r.consumed ?? 0),
    refunded: Boolean(Number(r.refunded ?? 0)),
  };
}

export function toGeneration(r: Row): Generation {
  return {
    id: r.id as string,
    customerId: r.customer_id as string,
    toolId: r.tool_id as string,
    units: Number(r.units),
    unitCredits: Number(r.unit_credits),
    cost: Number(r.cost),
    status: r.status as Generation['status'],
    allocations: json(r.allocations),
    chargedUnits: num(r.charged_units),
    charged: Number(r.charged),
    refunded: Number(r.refunded),
    metadata: json(r.metadata),
    holdUntil: Number(r.hold_until),
    ...failureOf(r),
    createdAt: Number(r.created_at),
    settledAt: num(r.settled_at),
    counted: Boolean(Number(r.counted ?? 0)),
    refundTerms: json(r.refund_terms),
    reportedAt: num(r.reported_at),
    retryOf: (r.retry_of as string | null) ?? null,
    freeRetry: Boolean(Number(r.free_retry ?? 0)),
    retriedBy: (r.retried_by as string | null) ?? null,
    memberId: (r.member_id as string | null) ?? null,
  };
}

export function toMember(r: Row): Member {
  return {
    customerId: r.customer_id as string,
    id: r.member_id as string,
    name: (r.name as string | null) ?? null,
    email: (r.email as string | null) ?? null,
    role: r.role as Member['role'],
    limits: json(r.limits),
    limitsReason: (r.limits_reason as string | null) ?? null,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    removedAt: num(r.removed_at),
  };
}

/** A stored failure; free text stored before the closed set of reasons reads as `other` with the text as its message. */
function failureOf(r: Row): Pick<Generation, 'failureReason' | 'failureMessage'> {
  const reason = (r.failure_reason as string | null) ?? null;
  const message = (r.failure_message as string | null) ?? null;
  if (reason === null) return { failureReason: null, failureMessage: message };
  const failure = classifyFailure(reason, message ?? undefined);
  return { failureReason: failure.reason, failureMessage: failure.message };
}

export function toLedgerEntry(r: Row): LedgerEntry {
  return {
    id: Number(r.id),
    customerId: r.customer_id as string,
    type: r.type as LedgerEntry['type'],
    grantId: r.grant_id as string,
    source: r.source as GrantSource,
    generationId: (r.generation_id as string | null) ?? null,
    toolId: (r.tool_id as string | null) ?? null,
    memberId: (r.member_id as string | null) ?? null,
    amount: Number(r.amount),
    availableDelta: Number(r.available_delta),
    reservedDelta: Number(r.reserved_delta),
    money: Number(r.money ?? 0),
    reason: (r.reason as string | null) ?? null,
    createdAt: Number(r.created_at),
  };
}

export function toCustomer(r: Row): Customer {
  return {
    id: r.id as string,
    name: (r.name as string | null) ?? null,
    email: (r.email as string | null) ?? null,
    metadata: json(r.metadata),
    alerts: json(r.alerts),
    limits: json(r.limits),
    limitsReason: (r.limits_reason as string | null) ?? null,
    inFlight: Number(r.in_flight ?? 0),
    autoTopUp: json(r.auto_top_up),
    paymentCustomerRef: (r.payment_customer_ref as string | null) ?? null,
    refundUsage: json(r.refund_usage),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

export function toTool(r: Row): Tool {
  return {
    id: r.id as string,
    name: r.name as string,
    credits: Number(r.credits),
    unit: r.unit as string,
    description: (r.description as string | null) ?? null,
    holdSeconds: Number(r.hold_seconds),
    refundPolicy: json(r.refund_policy),
    reportWindowHours: Number(r.report_window_hours ?? 24),
    active: Boolean(r.active),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

export function toToolPrice(r: Row): ToolPrice {
  return { toolId: r.tool_id as string, credits: Number(r.credits), unit: r.unit as string, effectiveAt: Number(r.effective_at) };
}

export function toApiKey(r: Row): ApiKeyRecord {
  return {
    id: r.id as string,
    name: r.name as string,
    prefix: r.prefix as string,
    hash: r.hash as string,
    createdAt: Number(r.created_at),
    revokedAt: num(r.revoked_at),
  };
}

/**
 * The columns each customer-scoped write names, per table: what an insert
 * writes, and what an update may change. The one statement of them: SQLite's
 * writes and PostgreSQL's purse_apply are built from it, and each `…Params`
 * below must give exactly these keys (the compiler checks). A new column is one
 * entry here, its mapping beside it, and a migration per store.
 */
export const WRITTEN_COLUMNS = {
  grants: {
    insert: ['customer_id', 'id', 'source', 'amount', 'remaining', 'expires_at', 'priority', 'created_at', 'voided_at', 'reason', 'origin', 'warn_at', 'paid', 'currency', 'consumed', 'refunded'],
    update: ['remaining', 'voided_at', 'expires_at', 'reason', 'warn_at', 'consumed', 'refunded'],
  },
  generations: {
    insert: ['customer_id', 'id', 'tool_id', 'units', 'unit_credits', 'cost', 'status', 'allocations', 'charged_units', 'charged', 'refunded', 'metadata', 'hold_until', 'failure_reason', 'created_at', 'settled_at', 'counted', 'member_id', 'failure_message', 'refund_terms', 'reported_at', 'retry_of', 'free_retry', 'retried_by'],
    update: ['status', 'charged_units', 'charged', 'refunded', 'hold_until', 'failure_reason', 'settled_at', 'failure_message', 'reported_at', 'retried_by'],
  },
  purchases: {
    insert: ['customer_id', 'id', 'pack_id', 'credits', 'price_amount', 'price_currency', 'expires_in_days', 'status', 'provider', 'provider_ref', 'payment_ref', 'checkout_url', 'grant_id', 'created_at', 'paid_at', 'refunded_at', 'auto_top_up'],
    update: ['status', 'provider_ref', 'payment_ref', 'checkout_url', 'grant_id', 'paid_at', 'refunded_at'],
  },
  subscriptions: {
    insert: ['customer_id', 'id', 'plan_id', 'status', 'driven_by', 'anchor', 'period_index', 'current_period_start', 'current_period_end', 'cancel_at_period_end', 'pending_plan_id', 'provider_ref', 'created_at', 'updated_at', 'canceled_at', 'change_reason', 'period_grant_id'],
    /** A subscription is written whole (insert or replace), all but its key and birth. */
    update: ['id', 'plan_id', 'status', 'driven_by', 'anchor', 'period_index', 'current_period_start', 'current_period_end', 'cancel_at_period_end', 'pending_plan_id', 'provider_ref', 'updated_at', 'canceled_at', 'change_reason', 'period_grant_id'],
  },
  ledger_entries: {
    insert: ['customer_id', 'type', 'grant_id', 'source', 'generation_id', 'tool_id', 'member_id', 'amount', 'available_delta', 'reserved_delta', 'money', 'reason', 'created_at'],
    update: [],
  },
  idempotency_keys: { insert: ['customer_id', 'key', 'request_hash', 'status_code', 'response', 'created_at'], update: [] },
  events: { insert: ['customer_id', 'seq', 'id', 'type', 'created_at', 'data'], update: [] },
  /** Written whole as an upsert on its key (all but `used`). */
  spend_windows: { insert: ['customer_id', 'scope', 'tool_id', 'member_id', 'window_kind', 'window_start', 'used'], update: ['used'] },
  /** The customer's own row: created by putCustomer; a write changes only what its rules keep on it. */
  customers: { insert: [], update: ['auto_top_up', 'refund_usage'] },
} as const satisfies Record<string, { insert: readonly string[]; update: readonly string[] }>;

export type CustomerTable = keyof typeof WRITTEN_COLUMNS;
/** A row's parameters: exactly the columns its table's inserts name. */
type Params<T extends CustomerTable> = { [C in (typeof WRITTEN_COLUMNS)[T]['insert'][number]]: unknown };

/** The parameters a grant row is written with. */
export function grantParams(g: Grant): Params<'grants'> {
  return {
    customer_id: g.customerId,
    id: g.id,
    source: g.source,
    amount: g.amount,
    remaining: g.remaining,
    expires_at: g.expiresAt,
    priority: g.priority,
    created_at: g.createdAt,
    voided_at: g.voidedAt,
    reason: g.reason,
    origin: g.origin ? JSON.stringify(g.origin) : null,
    warn_at: g.warnAt ?? null,
    paid: g.paid,
    currency: g.currency,
    consumed: g.consumed,
    refunded: g.refunded ? 1 : 0,
  };
}

export function generationParams(g: Generation): Params<'generations'> {
  return {
    customer_id: g.customerId,
    id: g.id,
    tool_id: g.toolId,
    units: g.units,
    unit_credits: g.unitCredits,
    cost: g.cost,
    status: g.status,
    allocations: JSON.stringify(g.allocations),
    charged_units: g.chargedUnits,
    charged: g.charged,
    refunded: g.refunded,
    metadata: g.metadata ? JSON.stringify(g.metadata) : null,
    hold_until: g.holdUntil,
    failure_reason: g.failureReason,
    created_at: g.createdAt,
    settled_at: g.settledAt,
    counted: g.counted ? 1 : 0,
    member_id: g.memberId ?? null,
    failure_message: g.failureMessage ?? null,
    refund_terms: g.refundTerms ? JSON.stringify(g.refundTerms) : null,
    reported_at: g.reportedAt ?? null,
    retry_of: g.retryOf ?? null,
    free_retry: g.freeRetry ? 1 : 0,
    retried_by: g.retriedBy ?? null,
  };
}

export function toPlan(r: Row): Plan {
  return {
    id: r.id as string,
    name: r.name as string,
    creditsPerPeriod: Number(r.credits_per_period),
    period: r.period as Plan['period'],
    price: { amount: Number(r.price_amount), currency: r.price_currency as string },
    rolloverMax: Number(r.rollover_max),
    limits: json(r.limits),
    freeRetriesPerPeriod: num(r.free_retries_per_period),
    maxReportsPerDay: num(r.max_reports_per_day),
    description: (r.description as string | null) ?? null,
    active: Boolean(r.active),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

export function toPack(r: Row): Pack {
  return {
    id: r.id as string,
    name: r.name as string,
    credits: Number(r.credits),
    price: { amount: Number(r.price_amount), currency: r.price_currency as string },
    expiresInDays: num(r.expires_in_days),
    description: (r.description as string | null) ?? null,
    active: Boolean(r.active),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

export function toSubscription(r: Row): Subscription {
  return {
    id: r.id as string,
    customerId: r.customer_id as string,
    planId: r.plan_id as string,
    status: r.status as Subscription['status'],
    drivenBy: r.driven_by as Subscription['drivenBy'],
    anchor: Number(r.anchor),
    periodIndex: Number(r.period_index),
    currentPeriodStart: Number(r.current_period_start),
    currentPeriodEnd: Number(r.current_period_end),
    cancelAtPeriodEnd: Boolean(r.cancel_at_period_end),
    pendingPlanId: (r.pending_plan_id as string | null) ?? null,
    providerRef: (r.provider_ref as string | null) ?? null,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    canceledAt: num(r.canceled_at),
    changeReason: (r.change_reason as string | null) ?? null,
    periodGrantId: (r.period_grant_id as string | null) ?? null,
  };
}

export function subscriptionParams(s: Subscription): Params<'subscriptions'> {
  return {
    customer_id: s.customerId,
    id: s.id,
    plan_id: s.planId,
    status: s.status,
    driven_by: s.drivenBy,
    anchor: s.anchor,
    period_index: s.periodIndex,
    current_period_start: s.currentPeriodStart,
    current_period_end: s.currentPeriodEnd,
    cancel_at_period_end: s.cancelAtPeriodEnd ? 1 : 0,
    pending_plan_id: s.pendingPlanId,
    provider_ref: s.providerRef,
    created_at: s.createdAt,
    updated_at: s.updatedAt,
    canceled_at: s.canceledAt,
    change_reason: s.changeReason,
    period_grant_id: s.periodGrantId,
  };
}

export function toPurchase(r: Row): Purchase {
  return {
    id: r.id as string,
    customerId: r.customer_id as string,
    packId: r.pack_id as string,
    credits: Number(r.credits),
    price: { amount: Number(r.price_amount), currency: r.price_currency as string },
    expiresInDays: num(r.expires_in_days),
    status: r.status as Purchase['status'],
    provider: r.provider as Purchase['provider'],
    providerRef: (r.provider_ref as string | null) ?? null,
    paymentRef: (r.payment_ref as string | null) ?? null,
    checkoutUrl: (r.checkout_url as string | null) ?? null,
    grantId: (r.grant_id as string | null) ?? null,
    createdAt: Number(r.created_at),
    paidAt: num(r.paid_at),
    refundedAt: num(r.refunded_at),
    autoTopUp: Boolean(r.auto_top_up),
  };
}

export function purchaseParams(p: Purchase): Params<'purchases'> {
  return {
    customer_id: p.customerId,
    id: p.id,
    pack_id: p.packId,
    credits: p.credits,
    price_amount: p.price.amount,
    price_currency: p.price.currency,
    expires_in_days: p.expiresInDays,
    status: p.status,
    provider: p.provider,
    provider_ref: p.providerRef,
    payment_ref: p.paymentRef,
    checkout_url: p.checkoutUrl,
    grant_id: p.grantId,
    created_at: p.createdAt,
    paid_at: p.paidAt,
    refunded_at: p.refundedAt,
    auto_top_up: p.autoTopUp ? 1 : 0,
  };
}

export function ledgerParams(e: import('../domain/types.js').NewLedgerEntry): Params<'ledger_entries'> {
  return {
    customer_id: e.customerId,
    type: e.type,
    grant_id: e.grantId,
    source: e.source,
    generation_id: e.generationId,
    tool_id: e.toolId,
    member_id: e.memberId ?? null,
    amount: e.amount,
    available_delta: e.availableDelta,
    reserved_delta: e.reservedDelta,
    money: e.money,
    reason: e.reason,
    created_at: e.createdAt,
  };
}

export function toEvent(r: Row): PurseEvent {
  return {
    id: r.id as string,
    customerId: r.customer_id as string,
    type: r.type as PurseEvent['type'],
    createdAt: Number(r.created_at),
    data: JSON.parse(String(r.data)),
    seq: Number(r.seq),
  };
}

export function idempotencyParams(customerId: string, k: IdempotencyRecord): Params<'idempotency_keys'> {
  return {
    customer_id: customerId,
    key: k.key,
    request_hash: k.requestHash,
    status_code: k.statusCode,
    response: JSON.stringify(k.response),
    created_at: k.createdAt,
  };
}

/** The customer row's columns a write changes, keyed by the customer's id. */
export function customerParams(customerId: string, c: CustomerUpdate): { id: string } & { [C in (typeof WRITTEN_COLUMNS)['customers']['update'][number]]: unknown } {
  return { id: customerId, auto_top_up: c.autoTopUp ? JSON.stringify(c.autoTopUp) : null, refund_usage: c.refundUsage ? JSON.stringify(c.refundUsage) : null };
}

/** An event's parameters; `seq` is the customer's next, which the store numbers as it writes. */
export function eventParams(e: PurseEvent, seq: number): Params<'events'> {
  return { customer_id: e.customerId, seq, id: e.id, type: e.type, created_at: e.createdAt, data: JSON.stringify(e.data) };
}

export function toSpendWindow(r: Row): SpendWindow {
  return {
    customerId: r.customer_id as string,
    scope: r.scope as SpendWindow['scope'],
    toolId: r.tool_id as string,
    memberId: (r.member_id as string | null) ?? '',
    window: r.window_kind as SpendWindow['window'],
    windowStart: Number(r.window_start),
    used: Number(r.used),
  };
}

export function spendWindowParams(w: SpendWindow): Params<'spend_windows'> {
  return { customer_id: w.customerId, scope: w.scope, tool_id: w.toolId, member_id: w.memberId, window_kind: w.window, window_start: w.windowStart, used: w.used };
}
