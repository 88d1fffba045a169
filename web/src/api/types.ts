/** The API's shapes as the web app reads them (see GET /openapi.json). */

export type GrantSource = 'plan' | 'addon' | 'bonus' | 'adjustment';
export interface Money {
  amount: number;
  currency: string;
}

export interface Tool {
  id: string;
  name: string;
  credits: number;
  unit: string;
  description: string | null;
  holdSeconds?: number;
  active?: boolean;
}

export interface Plan {
  id: string;
  name: string;
  creditsPerPeriod: number;
  period: 'day' | 'week' | 'month' | 'year' | string;
  price: Money;
  rollover: { max: number };
  description: string | null;
  active?: boolean;
}

export interface Pack {
  id: string;
  name: string;
  credits: number;
  price: Money;
  expiresInDays: number | null;
  description: string | null;
  active?: boolean;
}

export interface Pricing {
  plans: Plan[];
  packs: Pack[];
  tools: Tool[];
}

export interface BreakdownLine {
  source: GrantSource;
  available: number;
  expiresAt: string | null;
}

export interface Balance {
  customerId: string;
  available: number;
  reserved: number;
  breakdown: BreakdownLine[];
  subscription: {
    planId: string;
    status: 'incomplete' | 'active' | 'canceled';
    currentPeriodEnd: string;
    cancelAtPeriodEnd: boolean;
    pendingPlanId: string | null;
  } | null;
  asOf: string;
}

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
  metadata: Record<string, unknown> | null;
  holdUntil: string;
  failureReason: string | null;
  createdAt: string;
  settledAt: string | null;
}

export type LedgerType = 'grant' | 'reserve' | 'release' | 'charge' | 'refund' | 'expire' | 'void';
export interface LedgerEntry {
  id: string;
  type: LedgerType;
  amount: number;
  availableDelta: number;
  reservedDelta: number;
  grantId: string;
  source: GrantSource;
  generationId: string | null;
  toolId: string | null;
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
}

export interface Customer {
  id: string;
  name: string | null;
  email: string | null;
  metadata: Record<string, unknown> | null;
  createdAt: string;
  updatedAt: string;
}

export interface Subscription {
  id: string;
  customerId: string;
  planId: string;
  status: 'incomplete' | 'active' | 'canceled';
  currentPeriodStart: string;
  currentPeriodEnd: string;
  cancelAtPeriodEnd: boolean;
  pendingPlanId: string | null;
  canceledAt: string | null;
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

export interface DemoSession {
  token: string;
  customerId: string;
  expiresAt: string;
}

export interface CreditsDay {
  date: string;
  issued: number;
  spent: number;
  refunded: number;
  expired: number;
  voided: number;
}

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

export interface Outstanding {
  bySource: { source: string; available: number }[];
  reserved: number;
  total: number;
}
