/** The API's shapes, as the client sees them (times are ISO 8601 strings). */

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
  failureReason: string | null;
  createdAt: string;
  settledAt: string | null;
}

export interface Balance {
  customerId: string;
  available: number;
  reserved: number;
  breakdown: { source: 'plan' | 'addon' | 'bonus' | 'adjustment'; available: number; expiresAt: string | null }[];
  subscription: { planId: string; status: string; currentPeriodEnd: string; cancelAtPeriodEnd: boolean; pendingPlanId: string | null } | null;
  asOf: string;
}

export interface LedgerEntry {
  id: string;
  type: 'grant' | 'reserve' | 'release' | 'charge' | 'refund' | 'expire' | 'void';
  amount: number;
  availableDelta: number;
  reservedDelta: number;
  grantId: string;
  source: string;
  generationId: string | null;
  toolId: string | null;
  reason: string | null;
  createdAt: string;
}

export interface Grant {
  id: string;
  customerId: string;
  source: 'plan' | 'addon' | 'bonus' | 'adjustment';
  amount: number;
  remaining: number;
  expiresAt: string | null;
  priority: number;
  reason: string | null;
  voidedAt: string | null;
  createdAt: string;
}

export interface Tool {
  id: string;
  name: string;
  credits: number;
  unit: string;
  description: string | null;
  holdSeconds: number;
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
  price: { amount: number; currency: string };
  status: 'pending' | 'paid' | 'refunded' | 'canceled';
  provider: 'sandbox' | 'stripe';
  checkoutUrl: string | null;
  grantId: string | null;
  createdAt: string;
  paidAt: string | null;
  refundedAt: string | null;
}
