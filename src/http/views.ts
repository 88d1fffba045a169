import type { BreakdownLine } from '../domain/balance.js';
import type { Customer, Generation, Grant, LedgerEntry, Tool, ToolPrice } from '../domain/types.js';
import type { Balance } from '../service/customers.js';

/** Domain objects as the API shows them: ISO times, string ids for entries. */
const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

export const view = {
  tool: (t: Tool) => ({
    id: t.id,
    name: t.name,
    credits: t.credits,
    unit: t.unit,
    description: t.description,
    holdSeconds: t.holdSeconds,
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
    createdAt: iso(g.createdAt),
    settledAt: isoOrNull(g.settledAt),
  }),
  entry: (e: LedgerEntry) => ({
    id: String(e.id),
    type: e.type,
    amount: e.amount,
    availableDelta: e.availableDelta,
    reservedDelta: e.reservedDelta,
    grantId: e.grantId,
    source: e.source,
    generationId: e.generationId,
    toolId: e.toolId,
    reason: e.reason,
    createdAt: iso(e.createdAt),
  }),
  breakdown: (l: BreakdownLine) => ({ source: l.source, available: l.available, expiresAt: isoOrNull(l.expiresAt) }),
  balance: (b: Balance) => ({
    customerId: b.customerId,
    available: b.available,
    reserved: b.reserved,
    breakdown: b.breakdown.map(view.breakdown),
    subscription: b.subscription,
    asOf: iso(b.asOf),
  }),
};
