import type { Customer, Generation, Grant, GrantSource, LedgerEntry, Tool, ToolPrice } from '../../domain/types.js';
import type { ApiKeyRecord } from '../store.js';

/** Row shapes as SQLite returns them, and their mapping to the domain's nouns. */
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
    failureReason: (r.failure_reason as string | null) ?? null,
    createdAt: Number(r.created_at),
    settledAt: num(r.settled_at),
  };
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
    amount: Number(r.amount),
    availableDelta: Number(r.available_delta),
    reservedDelta: Number(r.reserved_delta),
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

/** The parameters a grant row is written with. */
export function grantParams(g: Grant) {
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
  };
}

export function generationParams(g: Generation) {
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
  };
}
