import type { AutoTopUp } from './auto-top-up.js';
import type { AlertSettings } from './events.js';
import type { Limits } from './limits.js';
import type { FailureReason, RefundPolicyOverride, RefundTerms, RefundUsage } from './refunds.js';
/**
 * The product's nouns as plain data. Times are epoch milliseconds (UTC); credits
 * are whole numbers. Nothing here does IO.
 */

/** Where a grant's credits came from (PRODUCT.md, Rule 1). */
export const GRANT_SOURCES = ['plan', 'addon', 'bonus', 'adjustment'] as const;
export type GrantSource = (typeof GRANT_SOURCES)[number];

/** One block of credits in a customer's balance. */
export interface Grant {
  id: string;
  customerId: string;
  source: GrantSource;
  /** Credits granted at the start. */
  amount: number;
  /** Credits still available to reserve (reserved credits are not included). */
  remaining: number;
  /** When the grant lapses; null never expires. */
  expiresAt: number | null;
  /** Lower is spent first among grants with the same expiry. */
  priority: number;
  createdAt: number;
  /** Set when an operator took back what was left. */
  voidedAt: number | null;
  reason: string | null;
  /** What issued it: a purchase, a plan period, an operator. */
  origin: GrantOrigin | null;
  /** When `credits.expiring_soon` is due for it; null once announced, or never. */
  warnAt?: number | null;
  /** The money its credits cost the customer, in `currency`'s minor unit (0 for bonus and adjustment credits). */
  paid: number;
  /** Lower-case ISO 4217 code of `paid`; null when nothing was paid for it. */
  currency: string | null;
  /** Credits gone for good: charged and not refunded, expired, voided (domain/money.ts). */
  consumed: number;
  /** Its payment was refunded: what it lost to that is a refund in the books, not breakage. */
  refunded: boolean;
}

export interface GrantOrigin {
  kind: 'operator' | 'purchase' | 'plan_period' | 'demo';
  ref?: string;
}

/** Which grant pays how much of a reservation, in consumption order. */
export interface Allocation {
  grantId: string;
  amount: number;
}

export const GENERATION_STATUSES = ['reserved', 'completed', 'failed'] as const;
export type GenerationStatus = (typeof GENERATION_STATUSES)[number];

/** One use of a tool by a customer: reserved, then completed or failed. */
export interface Generation {
  id: string;
  customerId: string;
  toolId: string;
  /** Units reserved. */
  units: number;
  /** The tool's price per unit when reserved; later price changes do not touch it. */
  unitCredits: number;
  /** unitCredits × units: what was reserved. */
  cost: number;
  status: GenerationStatus;
  /** The reservation's allocations, in consumption order. */
  allocations: Allocation[];
  /** Units and credits charged on completion. */
  chargedUnits: number | null;
  charged: number;
  /** Credits given back after completion by refunds. */
  refunded: number;
  metadata: Record<string, unknown> | null;
  holdUntil: number;
  /** Why it failed, one of the closed set (Rule 18); free text a client sent is `other` with the text in `failureMessage`. */
  failureReason: FailureReason | null;
  failureMessage?: string | null;
  createdAt: number;
  settledAt: number | null;
  /** The refund policy and report window of its tool, fixed when reserved; null on generations from before they existed. */
  refundTerms?: RefundTerms | null;
  /** When its result was reported bad (at most once). */
  reportedAt?: number | null;
  /** The failed or reported generation this one retries. */
  retryOf?: string | null;
  /** Charged nothing on completion: a free retry of its plan period. */
  freeRetry?: boolean;
  /** The generation that was this one's free retry; a generation is retried free at most once. */
  retriedBy?: string | null;
  /** Whether its cost was counted in the customer's spend windows (limits were in force when it was reserved). */
  counted?: boolean;
  /** The team member who spent it (issue 15); null (or absent) when it names none. */
  memberId?: string | null;
}

/** The kinds of ledger entry and what each does to the customer's balance. */
export const ENTRY_TYPES = ['grant', 'reserve', 'release', 'charge', 'refund', 'expire', 'void'] as const;
export type EntryType = (typeof ENTRY_TYPES)[number];

/**
 * One change to one grant of a customer's credits; never edited or deleted.
 * `availableDelta` is the change to the grant's remaining credits, `reservedDelta`
 * the change to credits held by running generations.
 */
export interface LedgerEntry {
  id: number;
  customerId: string;
  type: EntryType;
  grantId: string;
  source: GrantSource;
  generationId: string | null;
  toolId: string | null;
  /** The team member whose generation made this entry; null (or absent) otherwise. */
  memberId?: string | null;
  amount: number;
  availableDelta: number;
  reservedDelta: number;
  /** Money moved on the entry's line of the books, in the grant's currency's minor unit (signed; domain/money.ts). */
  money: number;
  reason: string | null;
  createdAt: number;
}

export type NewLedgerEntry = Omit<LedgerEntry, 'id'>;

export const MEMBER_ROLES = ['admin', 'member'] as const;
export type MemberRole = (typeof MEMBER_ROLES)[number];

/**
 * One user of a team customer (issue 15): spends from the team's pool within
 * its own limits. Keyed by the team; a removed member keeps its history.
 */
export interface Member {
  customerId: string;
  id: string;
  name: string | null;
  email: string | null;
  role: MemberRole;
  /** The member's own caps per UTC day and month; null when none. */
  limits: import('./limits.js').WindowCaps | null;
  /** Why its limits were last set, as the operator gave it. */
  limitsReason: string | null;
  createdAt: number;
  updatedAt: number;
  /** When it was removed: it can no longer reserve; null while it is a member. */
  removedAt: number | null;
}

/** A generative tool and its price: `credits` per `unit`. */
export interface Tool {
  id: string;
  name: string;
  credits: number;
  unit: string;
  description: string | null;
  /** How long a reservation holds its credits before failing by itself (Rule 7). */
  holdSeconds: number;
  /** Percent of the cost a failure gives back, per reason; reasons left out take the configured policy (Rule 18). */
  refundPolicy?: RefundPolicyOverride | null;
  /** How long after completion a result may be reported bad. */
  reportWindowHours?: number;
  active: boolean;
  createdAt: number;
  updatedAt: number;
}

/** A price a tool had from `effectiveAt` on. */
export interface ToolPrice {
  toolId: string;
  credits: number;
  unit: string;
  effectiveAt: number;
}

/** An end user (or team) of the app, named by the app's own id. */
export interface Customer {
  id: string;
  name: string | null;
  email: string | null;
  metadata: Record<string, unknown> | null;
  /** The customer's own alert settings; what is missing takes the configured defaults. */
  alerts?: Partial<AlertSettings> | null;
  /** The customer's own spend limits; each field it leaves out is its plan's. */
  limits?: Limits | null;
  /** Why its limits were last set, as the operator gave it. */
  limitsReason?: string | null;
  /** Its generations still reserved (open holds), kept by every write that opens or settles one. */
  inFlight?: number;
  /** The customer's auto top-up, with its state; null until one is set. */
  autoTopUp?: AutoTopUp | null;
  /** The payment provider's customer (Stripe `cus_…`) whose saved card pays top-ups. */
  paymentCustomerRef?: string | null;
  /** Free retries and reports used in the current period and day. */
  refundUsage?: RefundUsage | null;
  createdAt: number;
  updatedAt: number;
}

/** An amount of money in the currency's minor unit (cents), as Stripe writes it. */
export interface Price {
  amount: number;
  currency: string;
}

/** A subscription plan: a monthly (or daily, weekly, yearly) allocation of credits. */
export interface Plan {
  id: string;
  name: string;
  creditsPerPeriod: number;
  period: import('./periods.js').Period;
  price: Price;
  /** Unused plan credits carried into the next period, at most (Rule 8). */
  rolloverMax: number;
  /** Spend limits every subscriber has unless it sets its own. */
  limits: Limits | null;
  /** Generations a subscriber may retry free each period (0: none, null: unlimited). */
  freeRetriesPerPeriod?: number | null;
  /** Results a subscriber may report bad each UTC day (null: unlimited). */
  maxReportsPerDay?: number | null;
  description: string | null;
  active: boolean;
  createdAt: number;
  updatedAt: number;
}

/** An add-on credit pack; its credits never expire unless `expiresInDays` says so. */
export interface Pack {
  id: string;
  name: string;
  credits: number;
  price: Price;
  expiresInDays: number | null;
  description: string | null;
  active: boolean;
  createdAt: number;
  updatedAt: number;
}

export const SUBSCRIPTION_STATUSES = ['incomplete', 'active', 'canceled'] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

/**
 * A customer's subscription. Purse drives its periods with its own clock, or
 * Stripe does (a paid invoice starts the next period).
 */
export interface Subscription {
  id: string;
  customerId: string;
  planId: string;
  status: SubscriptionStatus;
  drivenBy: 'purse' | 'stripe';
  /** Periods count from here: period n starts at periodStart(anchor, period, n). */
  anchor: number;
  periodIndex: number;
  currentPeriodStart: number;
  currentPeriodEnd: number;
  cancelAtPeriodEnd: boolean;
  /** A downgrade waiting for the period's end (Rule 9). */
  pendingPlanId: string | null;
  providerRef: string | null;
  createdAt: number;
  updatedAt: number;
  canceledAt: number | null;
  /** Why the latest plan change or cancellation was made, as the operator gave it. */
  changeReason: string | null;
  /** The plan grant of the current period (null before any, or on rows from before it was kept). */
  periodGrantId: string | null;
}

export const PURCHASE_STATUSES = ['pending', 'paid', 'refunded', 'canceled'] as const;
export type PurchaseStatus = (typeof PURCHASE_STATUSES)[number];

/** A customer's purchase of a pack; paid once, granted once (Rule 10). */
export interface Purchase {
  id: string;
  customerId: string;
  packId: string;
  credits: number;
  price: Price;
  expiresInDays: number | null;
  status: PurchaseStatus;
  provider: 'sandbox' | 'stripe';
  /** The provider's checkout session. */
  providerRef: string | null;
  /** The provider's payment (Stripe: the PaymentIntent). */
  paymentRef: string | null;
  checkoutUrl: string | null;
  grantId: string | null;
  createdAt: number;
  paidAt: number | null;
  refundedAt: number | null;
  /** Bought by auto top-up rather than by the customer. */
  autoTopUp: boolean;
}
