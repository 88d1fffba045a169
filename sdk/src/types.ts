/**
 * The API's shapes, as a client sees them (times are ISO 8601 strings). The web
 * app reads the same types; /openapi.json is the full statement.
 */

export type GrantSource = 'plan' | 'addon' | 'bonus' | 'adjustment';
export type LedgerType = 'grant' | 'reserve' | 'release' | 'charge' | 'refund' | 'expire' | 'void';

export interface Money {
  /** In the currency's smallest unit (cents). */
  amount: number;
  currency: string;
}

/** Why a generation failed: a closed set; free text is kept as `other` with the text as the message. */
export type FailureReason = 'provider_error' | 'timeout' | 'safety_blocked' | 'user_canceled' | 'bad_result' | 'other';

/** Percent (0–100) of the cost a failure gives back, per reason; a reason left out takes the configured policy. */
export type RefundPolicy = Partial<Record<FailureReason, number>>;

export interface Generation {
  id: string;
  customerId: string;
  toolId: string;
  status: 'reserved' | 'completed' | 'failed';
  units: number;
  unitCredits: number;
  cost: number;
  chargedUnits: number | null;
  charged: number;
  refunded: number;
  allocations: { grantId: string; amount: number }[];
  metadata: Record<string, unknown> | null;
  holdUntil: string;
  failureReason: FailureReason | null;
  failureMessage: string | null;
  /** When its result was reported bad (once at most). */
  reportedAt: string | null;
  /** The failed or reported generation this one retries. */
  retryOf: string | null;
  /** A free retry: charged nothing on completion. */
  freeRetry: boolean;
  createdAt: string;
  settledAt: string | null;
  /** The team member who spent it; null when none. */
  memberId: string | null;
}

export interface Balance {
  customerId: string;
  available: number;
  reserved: number;
  breakdown: BreakdownLine[];
  subscription: { planId: string; status: Subscription['status']; currentPeriodEnd: string; cancelAtPeriodEnd: boolean; pendingPlanId: string | null } | null;
  /** The credits that expire first, when that is within the customer's `expiringSoonDays`. */
  expiringSoon: { credits: number; expiresAt: string } | null;
  asOf: string;
}

export interface BreakdownLine {
  source: GrantSource;
  available: number;
  expiresAt: string | null;
}

export interface LedgerEntry {
  id: string;
  type: LedgerType;
  amount: number;
  availableDelta: number;
  reservedDelta: number;
  /** Money the entry moved, in the grant's currency's minor unit (see the README, "Books in money"). */
  money: number;
  grantId: string;
  source: GrantSource;
  generationId: string | null;
  toolId: string | null;
  /** The team member whose generation made the entry; null otherwise. */
  memberId: string | null;
  reason: string | null;
  createdAt: string;
}

export interface Grant {
  id: string;
  customerId: string;
  source: GrantSource;
  amount: number;
  remaining: number;
  expiresAt: string | null;
  priority: number;
  reason: string | null;
  voidedAt: string | null;
  createdAt: string;
  /** The money its credits cost the customer, in `currency`'s minor unit; 0 for bonus and adjustment credits. */
  paid: number;
  currency: string | null;
}

export interface Tool {
  id: string;
  name: string;
  credits: number;
  unit: string;
  description: string | null;
  holdSeconds: number;
  /** The tool's own refund percentages; reasons left out (or null) take the configured policy. */
  refundPolicy: RefundPolicy | null;
  /** How long after completion a result may be reported bad. */
  reportWindowHours: number;
  active: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface Customer {
  id: string;
  name: string | null;
  email: string | null;
  metadata: Record<string, unknown> | null;
  createdAt: string;
  updatedAt: string;
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

export interface Purchase {
  id: string;
  customerId: string;
  packId: string;
  credits: number;
  price: Money;
  status: 'pending' | 'paid' | 'refunded' | 'canceled';
  provider: 'sandbox' | 'stripe';
  checkoutUrl: string | null;
  grantId: string | null;
  createdAt: string;
  paidAt: string | null;
  refundedAt: string | null;
  /** Bought by auto top-up rather than by the customer; a top-up that could not be paid is `canceled`. */
  autoTopUp: boolean;
}

/** `GET` / `PUT /v1/customers/{id}/auto-top-up`: the settings, this UTC month's top-ups, and the state. */
export interface AutoTopUp {
  customerId: string;
  enabled: boolean;
  /** In credits; null when auto top-up was never set. */
  threshold: number | null;
  packId: string | null;
  quantity: number | null;
  monthlyLimit: { purchases: number | null; amount: number | null };
  cooldownSeconds: number | null;
  /** What one top-up buys: quantity × the pack, as priced when set. */
  topUp: { credits: number; price: Money } | null;
  reason: string | null;
  thisMonth: { month: string; purchases: number; amount: number };
  state: {
    armed: boolean;
    failuresInRow: number;
    pendingPurchaseId: string | null;
    lastTopUpAt: string | null;
    lastFailure: { purchaseId: string; reason: string; at: string } | null;
  };
}

/** The body of `PUT /v1/customers/{id}/auto-top-up`. */
export interface AutoTopUpInput {
  enabled: boolean;
  threshold: number;
  packId: string;
  quantity?: number;
  monthlyLimit?: { purchases?: number; amount?: number };
  cooldownSeconds?: number;
  reason?: string;
}

export interface Plan {
  id: string;
  name: string;
  creditsPerPeriod: number;
  period: 'day' | 'week' | 'month' | 'year';
  price: Money;
  rollover: { max: number };
  /** Spend limits every active subscriber has unless it sets its own, field by field; null: none. */
  limits: Limits | null;
  /** Failed or reported generations a subscriber may retry free each period; null: unlimited. */
  freeRetriesPerPeriod: number | null;
  /** Results a subscriber may report bad each UTC day; null: unlimited. */
  maxReportsPerDay: number | null;
  description: string | null;
  active: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface Pack {
  id: string;
  name: string;
  credits: number;
  price: Money;
  expiresInDays: number | null;
  description: string | null;
  active: boolean;
  createdAt: string;
  updatedAt: string;
}

/** `GET /v1/pricing` (public): what a pricing page shows, active items only. */
export interface Pricing {
  plans: PricingPlan[];
  packs: PricingPack[];
  tools: PricingTool[];
}
export type PricingPlan = Omit<Plan, 'active' | 'createdAt' | 'updatedAt' | 'limits'>;
export type PricingPack = Omit<Pack, 'active' | 'createdAt' | 'updatedAt'>;
export type PricingTool = Pick<Tool, 'id' | 'name' | 'credits' | 'unit' | 'description'>;

export interface Subscription {
  id: string;
  customerId: string;
  planId: string;
  status: 'incomplete' | 'active' | 'canceled';
  currentPeriodStart: string;
  currentPeriodEnd: string;
  cancelAtPeriodEnd: boolean;
  pendingPlanId: string | null;
  drivenBy: 'purse' | 'stripe';
  createdAt: string;
  canceledAt: string | null;
  /** Why the latest plan change or cancellation was made. */
  changeReason: string | null;
}

/** `GET /v1/reports/credits`: one day. */
export interface CreditsDay {
  date: string;
  issued: number;
  spent: number;
  refunded: number;
  expired: number;
  voided: number;
}

/** `GET /v1/reports/revenue`: one UTC day of the books in money, in minor units of the report's currency. */
export interface RevenueDay {
  date: string;
  /** Money paid for grants made that day: packs bought, plan periods started. */
  paidIn: number;
  /** Revenue recognised: credits charged at their cost basis, less what refunds of charged credits reversed. */
  revenue: number;
  /** Of `revenue`, what refunds of charged credits reversed (already taken off). */
  reversed: number;
  /** Deferred money given back by refunded purchases. */
  refunds: number;
  /** Paid credits that expired unused or were voided by an operator. */
  breakage: number;
  /** Paid credits not yet spent, at their basis, at the end of the day. */
  deferred: number;
}

/** `GET /v1/reports/revenue`: one line per day, and the totals (`deferred`: at the end of the range). */
export interface RevenueReport {
  currency: string;
  openingDeferred: number;
  days: RevenueDay[];
  totals: Omit<RevenueDay, 'date'>;
}

/** `GET /v1/reports/tools`: one tool. */
export interface ToolReport {
  toolId: string;
  name: string;
  generations: number;
  completed: number;
  failed: number;
  reserved: number;
  failureRate: number | null;
  creditsCharged: number;
  creditsRefunded: number;
}

/** `GET /v1/reports/members`: spend per team member. */
export interface MemberSpend {
  customerId: string;
  memberId: string;
  name: string | null;
  generations: number;
  creditsCharged: number;
  creditsRefunded: number;
  /** Charged less refunded. */
  creditsSpent: number;
}

/** `GET /v1/reports/outstanding`: what the app still owes its users. */
export interface Outstanding {
  bySource: { source: string; available: number }[];
  reserved: number;
  total: number;
}

/** `GET /v1/tools/{id}/prices`: one price a tool has had, from when. */
export interface ToolPrice {
  credits: number;
  unit: string;
  effectiveAt: string;
}

/** `PUT /v1/customers/{id}/subscription`: the subscription after the change, and what the change did. */
export interface SubscriptionChange extends Subscription {
  /** A Stripe Checkout page to pay the first period, when Stripe drives the subscription. */
  checkoutUrl: string | null;
  effect: 'started' | 'upgraded' | 'downgrade_scheduled' | 'resumed' | 'unchanged' | 'checkout';
}

/** `GET /v1/reports/credits`: one line per day in the range, and their sum. */
export interface CreditsReport {
  days: CreditsDay[];
  totals: Omit<CreditsDay, 'date'>;
}

/** The closed set of error codes an answer may carry (PRODUCT.md, "HTTP API"). */
export type ErrorCode =
  | 'invalid_request'
  | 'unauthorized'
  | 'insufficient_credits'
  | 'spend_limit_reached'
  | 'too_many_in_flight'
  | 'forbidden'
  | 'not_found'
  | 'idempotency_conflict'
  | 'generation_settled'
  | 'already_reported'
  | 'report_window_closed'
  | 'report_limit_reached'
  | 'invalid_state'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'internal_error'
  | 'unavailable';

/** The closed set of event types (issue 12). */
export type EventType =
  | 'credits.granted'
  | 'credits.low'
  | 'credits.depleted'
  | 'credits.expiring_soon'
  | 'credits.expired'
  | 'credits.voided'
  | 'generation.completed'
  | 'generation.failed'
  | 'generation.refunded'
  | 'purchase.paid'
  | 'purchase.refunded'
  | 'subscription.started'
  | 'subscription.renewed'
  | 'subscription.changed'
  | 'subscription.canceled'
  | 'auto_top_up.succeeded'
  | 'auto_top_up.failed'
  | 'auto_top_up.disabled';

/**
 * One event, as the events feed lists it and as a webhook delivers it. `data`
 * holds the object as the API returns it (the generation, the grant, the
 * purchase, the balance …).
 */
export interface PurseEvent<T = Record<string, unknown>> {
  /** `evt_…`, the same on every delivery of this event: deduplicate on it. */
  id: string;
  type: EventType;
  createdAt: string;
  customerId: string;
  /** The event's place in its customer's order of events: 1, 2, 3 … */
  sequence: number;
  data: T;
}

/** A URL of the app's backend that receives signed events. */
export interface WebhookEndpoint {
  id: string;
  url: string;
  /** The event types it receives; all types when none were named. */
  events: EventType[] | null;
  description: string | null;
  status: 'enabled' | 'disabled';
  /** Why it is disabled: by an operator, or after failing deliveries. */
  disabledReason: string | null;
  consecutiveFailures: number;
  failingSince: string | null;
  createdAt: string;
  updatedAt: string;
}

/** `POST /v1/webhook-endpoints`: the only answer that shows the signing secret. */
export interface CreatedWebhookEndpoint extends WebhookEndpoint {
  /** `whsec_…`: keep it; `verifyWebhook` checks deliveries with it. */
  secret: string;
}

/** One attempt to deliver an event to an endpoint (`GET /v1/webhook-endpoints/{id}/deliveries`). */
export interface WebhookDelivery {
  id: string;
  deliveryId: string;
  eventId: string;
  /** 1 for the first try; retries count up with the same event id. */
  attempt: number;
  statusCode: number | null;
  error: string | null;
  latencyMs: number;
  succeeded: boolean;
  at: string;
}

/** `GET` / `PUT /v1/customers/{id}/alerts`: a customer's alert thresholds. */
export interface Alerts {
  /** `credits.low` fires when the available balance crosses down through each of these. */
  lowBalance: number[];
  /** `credits.expiring_soon` fires this many days before credits expire. */
  expiringSoonDays: number;
}

/** Spend limits (`PUT /v1/customers/{id}/limits`, a plan's `limits`): each field optional, positive integers. */
export interface Limits {
  /** Credits that may be reserved per UTC calendar day. */
  daily?: number;
  /** Credits that may be reserved per UTC calendar month. */
  monthly?: number;
  /** Per tool id: credits of that tool per UTC day and month. */
  tools?: Record<string, { daily?: number; monthly?: number }>;
  /** Generations that may be held reserved at once. */
  maxInFlight?: number;
}

/** One limit in force and whose it is. */
export type SourcedLimit = { value: number; source: 'customer' | 'plan' } | null;

/** `GET /v1/customers/{id}/limits`: the limits in force, where each came from, and what is used. */
export interface LimitsState {
  customerId: string;
  /** What the customer set itself; null: none. */
  own: Limits | null;
  reason: string | null;
  /** The active plan whose limits fill in what the customer leaves out. */
  planId: string | null;
  effective: {
    daily: SourcedLimit;
    monthly: SourcedLimit;
    tools: Record<string, { daily: SourcedLimit; monthly: SourcedLimit }>;
    maxInFlight: SourcedLimit;
  };
  /** Credits reserved in the current UTC day and month, net of what came back; in total and per tool. */
  used: { day: number; month: number; tools: Record<string, { day: number; month: number }> };
  /** Generations held reserved now. */
  inFlight: number;
  windows: { day: { start: string; end: string }; month: { start: string; end: string } };
  asOf: string;
}

/** One user of a team customer: spends from the team's pool within its own limits (and the team's). */
export interface Member {
  /** The team. */
  customerId: string;
  id: string;
  name: string | null;
  email: string | null;
  role: 'admin' | 'member';
  /** The member's own caps per UTC day and month; null: none. */
  limits: { daily?: number; monthly?: number } | null;
  limitsReason: string | null;
  /** Credits it reserved in the current UTC day and month, net of what came back. */
  used: { day: number; month: number };
  windows: { day: { start: string; end: string }; month: { start: string; end: string } };
  createdAt: string;
  updatedAt: string;
  /** When it was removed (it can no longer reserve); null while it is a member. */
  removedAt: string | null;
}

/** What a member is put with; fields left out keep their value. */
export interface MemberInput {
  name?: string | null;
  email?: string | null;
  role?: 'admin' | 'member';
  /** Whole; `{}` or null clears them. */
  limits?: { daily?: number; monthly?: number } | null;
  reason?: string;
}
