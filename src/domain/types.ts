/**
 * The product's nouns as plain data. Times are epoch milliseconds (UTC); credits
 * are whole numbers. Nothing here does IO.
 */

/** Where a grant's credits came from (PRODUCT.md, Rule 1). */
export type GrantSource = 'plan' | 'addon' | 'bonus' | 'adjustment';
export const GRANT_SOURCES: readonly GrantSource[] = ['plan', 'addon', 'bonus', 'adjustment'];

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

export type GenerationStatus = 'reserved' | 'completed' | 'failed';

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
  failureReason: string | null;
  createdAt: number;
  settledAt: number | null;
}

/** The kinds of ledger entry and what each does to the customer's balance. */
export type EntryType = 'grant' | 'reserve' | 'release' | 'charge' | 'refund' | 'expire' | 'void';

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
  amount: number;
  availableDelta: number;
  reservedDelta: number;
  reason: string | null;
  createdAt: number;
}

export type NewLedgerEntry = Omit<LedgerEntry, 'id'>;

/** A generative tool and its price: `credits` per `unit`. */
export interface Tool {
  id: string;
  name: string;
  credits: number;
  unit: string;
  description: string | null;
  /** How long a reservation holds its credits before failing by itself (Rule 7). */
  holdSeconds: number;
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
  createdAt: number;
  updatedAt: number;
}
