import { z } from 'zod';
import { EVENT_TYPES } from '../domain/events.js';
import { MAX_GENERATION_COST } from '../domain/pricing.js';

/** Ids named by the app: customers, tools, generations (PRODUCT.md, "customer"). */
export const Id = z.string().regex(/^[A-Za-z0-9_.:@-]{1,128}$/, 'must be 1–128 characters of A-Z a-z 0-9 _ . : @ -');
export const Credits = z.number().int().min(0).max(MAX_GENERATION_COST);
export const PositiveCredits = z.number().int().min(1).max(MAX_GENERATION_COST);
export const Units = z.number().int().min(1).max(1_000_000);
export const Reason = z.string().trim().min(1).max(500);
export const IsoTime = z.iso.datetime({ offset: true }).transform((s) => Date.parse(s));
export const Metadata = z
  .record(z.string().min(1).max(40), z.union([z.string().max(500), z.number(), z.boolean(), z.null()]))
  .refine((m) => Object.keys(m).length <= 50, 'at most 50 keys');

export const IdempotencyHeaders = z.object({
  'idempotency-key': z.string().min(1).max(255).optional(),
});

export const PageQuery = z.strictObject({
  cursor: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

export const ErrorResponse = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
    requestId: z.string(),
  })
  .meta({ id: 'Error' });

const Time = z.string();
const GrantSource = z.enum(['plan', 'addon', 'bonus', 'adjustment']);

export const ToolView = z
  .object({
    id: z.string(),
    name: z.string(),
    credits: z.number().int(),
    unit: z.string(),
    description: z.string().nullable(),
    holdSeconds: z.number().int(),
    active: z.boolean(),
    createdAt: Time,
    updatedAt: Time,
  })
  .meta({ id: 'Tool' });

export const CustomerView = z
  .object({
    id: z.string(),
    name: z.string().nullable(),
    email: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()).nullable(),
    createdAt: Time,
    updatedAt: Time,
  })
  .meta({ id: 'Customer' });

export const GrantView = z
  .object({
    id: z.string(),
    customerId: z.string(),
    source: GrantSource,
    amount: z.number().int(),
    remaining: z.number().int(),
    expiresAt: Time.nullable(),
    priority: z.number().int(),
    reason: z.string().nullable(),
    voidedAt: Time.nullable(),
    createdAt: Time,
  })
  .meta({ id: 'Grant' });

export const GenerationView = z
  .object({
    id: z.string(),
    customerId: z.string(),
    toolId: z.string(),
    status: z.enum(['reserved', 'completed', 'failed']),
    units: z.number().int(),
    unitCredits: z.number().int(),
    cost: z.number().int(),
    chargedUnits: z.number().int().nullable(),
    charged: z.number().int(),
    refunded: z.number().int(),
    allocations: z.array(z.object({ grantId: z.string(), amount: z.number().int() })),
    metadata: z.record(z.string(), z.unknown()).nullable(),
    holdUntil: Time,
    failureReason: z.string().nullable(),
    createdAt: Time,
    settledAt: Time.nullable(),
  })
  .meta({ id: 'Generation' });

export const LedgerEntryView = z
  .object({
    id: z.string(),
    type: z.enum(['grant', 'reserve', 'release', 'charge', 'refund', 'expire', 'void']),
    amount: z.number().int(),
    availableDelta: z.number().int(),
    reservedDelta: z.number().int(),
    grantId: z.string(),
    source: GrantSource,
    generationId: z.string().nullable(),
    toolId: z.string().nullable(),
    reason: z.string().nullable(),
    createdAt: Time,
  })
  .meta({ id: 'LedgerEntry' });

export const BalanceView = z
  .object({
    customerId: z.string(),
    available: z.number().int(),
    reserved: z.number().int(),
    breakdown: z.array(z.object({ source: GrantSource, available: z.number().int(), expiresAt: Time.nullable() })),
    subscription: z
      .object({
        planId: z.string(),
        status: z.enum(['incomplete', 'active', 'canceled']),
        currentPeriodEnd: Time,
        cancelAtPeriodEnd: z.boolean(),
        pendingPlanId: z.string().nullable(),
      })
      .nullable(),
    expiringSoon: z
      .object({ credits: z.number().int(), expiresAt: Time })
      .nullable()
      .meta({ description: 'The credits that expire first, when that is within the customer\'s expiringSoonDays' }),
    asOf: Time,
  })
  .meta({ id: 'Balance' });

export const Money = z.strictObject({
  amount: z.number().int().min(0).max(100_000_000_00),
  currency: z.string().regex(/^[a-z]{3}$/, 'must be a lower-case ISO 4217 code such as usd'),
});
/** A pack's price: at least 1 minor unit, so no session takes credits for nothing (free credits come from grants or a plan priced 0). */
export const PackPrice = Money.extend({ amount: z.number().int().min(1).max(100_000_000_00) });
const MoneyView = z.object({ amount: z.number().int(), currency: z.string() });

export const PlanView = z
  .object({
    id: z.string(),
    name: z.string(),
    creditsPerPeriod: z.number().int(),
    period: z.enum(['day', 'week', 'month', 'year']),
    price: MoneyView,
    rollover: z.object({ max: z.number().int() }),
    description: z.string().nullable(),
    active: z.boolean(),
    createdAt: Time,
    updatedAt: Time,
  })
  .meta({ id: 'Plan' });

export const PackView = z
  .object({
    id: z.string(),
    name: z.string(),
    credits: z.number().int(),
    price: MoneyView,
    expiresInDays: z.number().int().nullable(),
    description: z.string().nullable(),
    active: z.boolean(),
    createdAt: Time,
    updatedAt: Time,
  })
  .meta({ id: 'Pack' });

export const SubscriptionView = z
  .object({
    id: z.string(),
    customerId: z.string(),
    planId: z.string(),
    status: z.enum(['incomplete', 'active', 'canceled']),
    currentPeriodStart: Time,
    currentPeriodEnd: Time,
    cancelAtPeriodEnd: z.boolean(),
    pendingPlanId: z.string().nullable(),
    drivenBy: z.enum(['purse', 'stripe']),
    createdAt: Time,
    canceledAt: Time.nullable(),
    changeReason: z.string().nullable().meta({ description: 'Why the latest plan change or cancellation was made' }),
  })
  .meta({ id: 'Subscription' });

export const PurchaseView = z
  .object({
    id: z.string(),
    customerId: z.string(),
    packId: z.string(),
    credits: z.number().int(),
    price: MoneyView,
    status: z.enum(['pending', 'paid', 'refunded', 'canceled']),
    provider: z.enum(['sandbox', 'stripe']),
    checkoutUrl: z.string().nullable(),
    grantId: z.string().nullable(),
    createdAt: Time,
    paidAt: Time.nullable(),
    refundedAt: Time.nullable(),
  })
  .meta({ id: 'Purchase' });

/** A page of items, newest first, with the cursor for the next page (null at the end). */
export function paged<T extends z.ZodType>(item: T) {
  return z.object({ data: z.array(item), nextCursor: z.string().nullable() });
}

/** The error responses every authenticated route can give. */
export const commonErrors = {
  400: ErrorResponse,
  401: ErrorResponse,
  403: ErrorResponse,
  404: ErrorResponse,
};

export const EventType = z.enum(EVENT_TYPES);

export const EventView = z
  .object({
    id: z.string(),
    type: EventType,
    createdAt: Time,
    customerId: z.string(),
    sequence: z.number().int().meta({ description: "The event's place in its customer's order of events: 1, 2, 3 …" }),
    data: z.record(z.string(), z.unknown()).meta({ description: 'The objects the event is about, as the API returns them anywhere else' }),
  })
  .meta({ id: 'Event' });

export const AlertsView = z
  .object({ lowBalance: z.array(z.number().int()), expiringSoonDays: z.number().int() })
  .meta({ id: 'Alerts' });
