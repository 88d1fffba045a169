import { z } from 'zod';
import { EVENT_TYPES } from '../domain/events.js';
import { PERIODS } from '../domain/periods.js';
import { ENTRY_TYPES, GENERATION_STATUSES, GRANT_SOURCES, PURCHASE_STATUSES, SUBSCRIPTION_STATUSES } from '../domain/types.js';
import { MAX_GENERATION_COST } from '../domain/pricing.js';
import { FAILURE_REASONS } from '../domain/refunds.js';
import type { ErrorCode } from '../service/errors.js';
import { STATUS_BY_CODE } from './errors.js';

/** Ids named by the app: customers, tools, generations (PRODUCT.md, "customer"). */
export const Id = z
  .string()
  .regex(/^[A-Za-z0-9_.:@-]{1,128}$/, 'must be 1–128 characters of A-Z a-z 0-9 _ . : @ -')
  .meta({ description: 'An id: 1–128 characters of A-Z a-z 0-9 _ . : @ -; customers, tools, plans and packs are named by the app' });
export const Credits = z.number().int().min(0).max(MAX_GENERATION_COST);
export const PositiveCredits = z.number().int().min(1).max(MAX_GENERATION_COST);
export const Units = z.number().int().min(1).max(1_000_000);
export const Reason = z.string().trim().min(1).max(500);
export const IsoTime = z.iso.datetime({ offset: true }).transform((s) => Date.parse(s));
export const Metadata = z
  .record(z.string().min(1).max(40), z.union([z.string().max(500), z.number(), z.boolean(), z.null()]))
  .refine((m) => Object.keys(m).length <= 50, 'at most 50 keys');

const Percent = z.number().int().min(0).max(100);
/** A refund policy as a tool or the configuration sets it: percent of the cost a failure returns, per reason; each optional. */
export const RefundPolicyBody = z
  .strictObject(Object.fromEntries(FAILURE_REASONS.map((r) => [r, Percent.optional()])) as Record<(typeof FAILURE_REASONS)[number], z.ZodOptional<typeof Percent>>)
  .meta({ description: 'Percent (0–100) of the cost a failure gives back, per failure reason; a reason left out takes the configured policy' });
const RefundPolicyOut = z.object(Object.fromEntries(FAILURE_REASONS.map((r) => [r, z.number().int().optional()])) as Record<(typeof FAILURE_REASONS)[number], z.ZodOptional<z.ZodNumber>>);

export const IdempotencyHeaders = z.object({
  'idempotency-key': z.string().min(1).max(255).optional().meta({ description: 'Makes the write safe to retry: the same key with the same body answers the first result' }),
});

export const PageQuery = z.strictObject({
  cursor: z.string().min(1).max(200).optional().meta({ description: 'The `nextCursor` of the page before; leave out for the first page' }),
  limit: z.coerce.number().int().min(1).max(100).default(20).meta({ description: 'How many items a page holds, at most 100' }),
});

export const ErrorResponse = z
  .object({
    error: z.object({
      code: z.enum(Object.keys(STATUS_BY_CODE) as [ErrorCode, ...ErrorCode[]]).meta({ description: 'A closed set, one HTTP status each; code branches on it' }),
      message: z.string().meta({ description: 'For people; code reads `code`' }),
      details: z.record(z.string(), z.unknown()).optional().meta({
        description:
          '`field` for invalid_request; `available` and `required` for insufficient_credits; `scope` (`customer`, `tool` or `member`, with `toolId` or `memberId`), `window`, `limit`, `used` and `required` for spend_limit_reached; `resource` and `id` (and `removed` for a removed member) for not_found; `limit` and `inFlight` for too_many_in_flight',
      }),
    }),
    requestId: z.string(),
  })
  .meta({ id: 'Error', description: 'Every error answer' });

/** What each error status looks like, for the examples of the OpenAPI document. */
export const ERROR_EXAMPLES: Record<string, z.input<typeof ErrorResponse>> = {
  400: { error: { code: 'invalid_request', message: 'units: Too small: expected number to be >=1', details: { field: 'units', location: 'body', fields: ['units'] } }, requestId: 'req_1m89tvd1m00hv6vp600q1' },
  401: { error: { code: 'unauthorized', message: 'a valid API key or customer session is required' }, requestId: 'req_1m89tvd1m00hv6vp600q2' },
  402: { error: { code: 'insufficient_credits', message: '8 credits are required and 5 are available', details: { available: 5, required: 8 } }, requestId: 'req_1m89tvd1m00hv6vp600q3' },
  403: { error: { code: 'forbidden', message: "a customer session may only see its own customer's credits" }, requestId: 'req_1m89tvd1m00hv6vp600q4' },
  404: { error: { code: 'not_found', message: 'customer u_42 does not exist', details: { resource: 'customer', id: 'u_42' } }, requestId: 'req_1m89tvd1m00hv6vp600q5' },
  409: { error: { code: 'generation_settled', message: 'generation gen_1 is already failed', details: { id: 'gen_1', status: 'failed' } }, requestId: 'req_1m89tvd1m00hv6vp600q6' },
  429: { error: { code: 'rate_limited', message: "too many writes from this customer's session; retry in 12 s", details: { retryAfterSeconds: 12 } }, requestId: 'req_1m89tvd1m00hv6vp600q7' },
  503: { error: { code: 'unavailable', message: 'the sqlite store cannot be reached' }, requestId: 'req_1m89tvd1m00hv6vp600q8' },
};

/** A documented JSON response: what it means, and the schema of its body (the form fastify-type-provider-zod documents and types). */
export function json<T extends z.ZodType>(description: string, schema: T) {
  return { description, content: { 'application/json': { schema } } };
}

/**
 * Metadata giving a request body its example in the OpenAPI document. It is
 * `x-examples` (which @fastify/swagger turns into the media type's examples)
 * because zod leaves `examples` out of schemas that transform, such as IsoTime.
 */
export function requestExample(value: Record<string, unknown>) {
  return { 'x-examples': { example: { value } } };
}

/** A documented error response: which codes it carries, and when. */
export function errorResponse(description: string) {
  return json(description, ErrorResponse);
}

/** An instant as the API writes it: UTC, ISO 8601. A format for the document only; responses are not re-checked. */
const Time = z.string().meta({ format: 'date-time' });
const GrantSource = z.enum(GRANT_SOURCES);

export const ToolView = z
  .object({
    id: z.string(),
    name: z.string(),
    credits: z.number().int(),
    unit: z.string(),
    description: z.string().nullable(),
    holdSeconds: z.number().int(),
    refundPolicy: RefundPolicyOut.nullable().meta({ description: "The tool's own refund percentages per failure reason; reasons left out (or null) take the configured policy" }),
    reportWindowHours: z.number().int().meta({ description: 'How long after completion a result may be reported bad' }),
    active: z.boolean(),
    createdAt: Time,
    updatedAt: Time,
  })
  .meta({
    id: 'Tool',
    description: 'A generative tool and its price: `credits` per `unit`',
    examples: [{ id: 'text-to-image', name: 'Text to image', credits: 4, unit: 'image', description: 'One picture from a prompt.', holdSeconds: 900, refundPolicy: { safety_blocked: 0 }, reportWindowHours: 24, active: true, createdAt: '2026-11-01T09:00:00.000Z', updatedAt: '2026-11-01T09:00:00.000Z' }],
  });

export const CustomerView = z
  .object({
    id: z.string(),
    name: z.string().nullable(),
    email: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()).nullable(),
    createdAt: Time,
    updatedAt: Time,
  })
  .meta({
    id: 'Customer',
    description: "An end user (or team) of the app, named by the app's own id",
    examples: [{ id: 'u_42', name: 'Ada Lovelace', email: 'ada@example.com', metadata: { team: 'design' }, createdAt: '2026-11-01T09:00:00.000Z', updatedAt: '2026-11-01T09:00:00.000Z' }],
  });

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
    paid: z.number().int().meta({ description: "The money its credits cost the customer, in `currency`'s minor unit: a pack's price, a plan period's price; 0 for bonus and adjustment credits" }),
    currency: z.string().nullable().meta({ description: 'Lower-case ISO 4217 code of `paid`; null when nothing was paid' }),
  })
  .meta({
    id: 'Grant',
    description: "One block of credits in a customer's balance",
    examples: [{ id: 'grt_5d1f0c9a2b7e4f30', customerId: 'u_42', source: 'bonus', amount: 50, remaining: 42, expiresAt: null, priority: 0, reason: 'Welcome credits', voidedAt: null, createdAt: '2026-11-01T09:00:00.000Z', paid: 0, currency: null }],
  });

export const GenerationView = z
  .object({
    id: z.string(),
    customerId: z.string(),
    toolId: z.string(),
    status: z.enum(GENERATION_STATUSES),
    units: z.number().int(),
    unitCredits: z.number().int(),
    cost: z.number().int(),
    chargedUnits: z.number().int().nullable(),
    charged: z.number().int(),
    refunded: z.number().int(),
    allocations: z.array(z.object({ grantId: z.string(), amount: z.number().int() })),
    metadata: z.record(z.string(), z.unknown()).nullable(),
    holdUntil: Time,
    failureReason: z.enum(FAILURE_REASONS).nullable().meta({ description: 'Why it failed; free text a client sent is `other`, the text in `failureMessage`' }),
    failureMessage: z.string().nullable(),
    reportedAt: Time.nullable().meta({ description: 'When its result was reported bad (once at most)' }),
    retryOf: z.string().nullable().meta({ description: 'The failed or reported generation this one retries' }),
    freeRetry: z.boolean().meta({ description: 'A free retry: charged nothing on completion' }),
    createdAt: Time,
    settledAt: Time.nullable(),
    memberId: z.string().nullable().meta({ description: 'The team member who spent it; null when none' }),
  })
  .meta({
    id: 'Generation',
    description: 'One use of a tool: reserved, then completed or failed',
    examples: [{ id: 'gen_7c2e91f04ab35d68', customerId: 'u_42', toolId: 'text-to-image', status: 'reserved', units: 2, unitCredits: 4, cost: 8, chargedUnits: null, charged: 0, refunded: 0, allocations: [{ grantId: 'grt_5d1f0c9a2b7e4f30', amount: 8 }], metadata: { prompt: 'a lighthouse at dusk' }, holdUntil: '2026-11-23T22:15:00.000Z', failureReason: null, failureMessage: null, reportedAt: null, retryOf: null, freeRetry: false, createdAt: '2026-11-23T22:00:00.000Z', settledAt: null, memberId: null }],
  });

export const LedgerEntryView = z
  .object({
    id: z.string(),
    type: z.enum(ENTRY_TYPES),
    amount: z.number().int(),
    availableDelta: z.number().int(),
    reservedDelta: z.number().int(),
    money: z.number().int().meta({ description: "Money the entry moved in the grant's currency's minor unit: paid in (grant), revenue recognised (charge; negative for a refund), breakage (expire, void) or a purchase refund (void of a refunded purchase)" }),
    grantId: z.string(),
    source: GrantSource,
    generationId: z.string().nullable(),
    toolId: z.string().nullable(),
    memberId: z.string().nullable().meta({ description: 'The team member whose generation made the entry; null otherwise' }),
    reason: z.string().nullable(),
    createdAt: Time,
  })
  .meta({
    id: 'LedgerEntry',
    description: "One change to a customer's credits; never edited or deleted",
    examples: [{ id: '1042', type: 'reserve', amount: 8, availableDelta: -8, reservedDelta: 8, money: 0, grantId: 'grt_5d1f0c9a2b7e4f30', source: 'bonus', generationId: 'gen_7c2e91f04ab35d68', toolId: 'text-to-image', memberId: null, reason: null, createdAt: '2026-11-23T22:00:00.000Z' }],
  });

export const BalanceView = z
  .object({
    customerId: z.string(),
    available: z.number().int(),
    reserved: z.number().int(),
    breakdown: z.array(z.object({ source: GrantSource, available: z.number().int(), expiresAt: Time.nullable() })),
    subscription: z
      .object({
        planId: z.string(),
        status: z.enum(SUBSCRIPTION_STATUSES),
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
  .meta({
    id: 'Balance',
    description: 'What a customer can spend now, what running generations hold, and where the credits come from',
    examples: [{ customerId: 'u_42', available: 130, reserved: 4, breakdown: [{ source: 'plan', available: 30, expiresAt: '2026-12-01T00:00:00.000Z' }, { source: 'addon', available: 100, expiresAt: null }], subscription: { planId: 'pro', status: 'active', currentPeriodEnd: '2026-12-01T00:00:00.000Z', cancelAtPeriodEnd: false, pendingPlanId: null }, expiringSoon: null, asOf: '2026-11-23T22:00:00.000Z' }],
  });

export const Money = z.strictObject({
  amount: z.number().int().min(0).max(100_000_000_00),
  currency: z.string().regex(/^[a-z]{3}$/, 'must be a lower-case ISO 4217 code such as usd'),
});
/** A pack's price: at least 1 minor unit, so no session takes credits for nothing (free credits come from grants or a plan priced 0). */
export const PackPrice = Money.extend({ amount: z.number().int().min(1).max(100_000_000_00) });
const MoneyView = z.object({ amount: z.number().int(), currency: z.string() });

/** The most tools one set of limits may name. */
export const MAX_TOOL_LIMITS = 100;
/** A cap per UTC calendar day and month, in credits reserved. */
const LimitValue = z.number().int().min(1).max(1_000_000_000_000);
export const WindowCapsBody = z.strictObject({ daily: LimitValue.optional(), monthly: LimitValue.optional() });
/** Spend limits and the in-flight cap, as a customer or a plan sets them: every field optional, positive integers. */
export const LimitsBody = z
  .strictObject({
    daily: LimitValue.optional().meta({ description: 'Credits the customer may reserve per UTC calendar day' }),
    monthly: LimitValue.optional().meta({ description: 'Credits the customer may reserve per UTC calendar month' }),
    tools: z
      .record(Id, WindowCapsBody)
      .refine((t) => Object.keys(t).length <= MAX_TOOL_LIMITS, `at most ${MAX_TOOL_LIMITS} tools`)
      .optional()
      .meta({ description: `Per tool id (at most ${MAX_TOOL_LIMITS}): credits of that tool per UTC day and month` }),
    maxInFlight: z.number().int().min(1).max(1_000_000).optional().meta({ description: 'How many generations the customer may hold reserved at once' }),
  })
  .meta({ description: 'Spend limits: every field optional, each a positive integer' });
const LimitsOut = z.object({
  daily: z.number().int().optional(),
  monthly: z.number().int().optional(),
  tools: z.record(z.string(), z.object({ daily: z.number().int().optional(), monthly: z.number().int().optional() })).optional(),
  maxInFlight: z.number().int().optional(),
});

export const PlanView = z
  .object({
    id: z.string(),
    name: z.string(),
    creditsPerPeriod: z.number().int(),
    period: z.enum(PERIODS),
    price: MoneyView,
    rollover: z.object({ max: z.number().int() }),
    limits: LimitsOut.nullable().meta({ description: "Spend limits every subscriber has unless it sets its own (field by field); null: none" }),
    freeRetriesPerPeriod: z.number().int().nullable().meta({ description: 'Failed or reported generations a subscriber may retry free each period; null: unlimited' }),
    maxReportsPerDay: z.number().int().nullable().meta({ description: 'Results a subscriber may report bad each UTC day; null: unlimited' }),
    description: z.string().nullable(),
    active: z.boolean(),
    createdAt: Time,
    updatedAt: Time,
  })
  .meta({
    id: 'Plan',
    description: 'A subscription plan: `creditsPerPeriod` every period',
    examples: [{ id: 'pro', name: 'Pro', creditsPerPeriod: 500, period: 'month', price: { amount: 2900, currency: 'usd' }, rollover: { max: 100 }, limits: { daily: 200, maxInFlight: 4 }, freeRetriesPerPeriod: 4, maxReportsPerDay: 10, description: 'Up to 100 unused credits roll over.', active: true, createdAt: '2026-11-01T09:00:00.000Z', updatedAt: '2026-11-01T09:00:00.000Z' }],
  });

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
  .meta({
    id: 'Pack',
    description: 'An add-on credit pack',
    examples: [{ id: 'pack-100', name: '100 credits', credits: 100, price: { amount: 1000, currency: 'usd' }, expiresInDays: null, description: null, active: true, createdAt: '2026-11-01T09:00:00.000Z', updatedAt: '2026-11-01T09:00:00.000Z' }],
  });

export const SubscriptionView = z
  .object({
    id: z.string(),
    customerId: z.string(),
    planId: z.string(),
    status: z.enum(SUBSCRIPTION_STATUSES),
    currentPeriodStart: Time,
    currentPeriodEnd: Time,
    cancelAtPeriodEnd: z.boolean(),
    pendingPlanId: z.string().nullable(),
    drivenBy: z.enum(['purse', 'stripe']),
    createdAt: Time,
    canceledAt: Time.nullable(),
    changeReason: z.string().nullable().meta({ description: 'Why the latest plan change or cancellation was made' }),
  })
  .meta({
    id: 'Subscription',
    description: "A customer's subscription to a plan",
    examples: [{ id: 'sub_0b8d4e2f6a1c3957', customerId: 'u_42', planId: 'pro', status: 'active', currentPeriodStart: '2026-11-01T00:00:00.000Z', currentPeriodEnd: '2026-12-01T00:00:00.000Z', cancelAtPeriodEnd: false, pendingPlanId: null, drivenBy: 'purse', createdAt: '2026-11-01T00:00:00.000Z', canceledAt: null, changeReason: null }],
  });

export const PurchaseView = z
  .object({
    id: z.string(),
    customerId: z.string(),
    packId: z.string(),
    credits: z.number().int(),
    price: MoneyView,
    status: z.enum(PURCHASE_STATUSES),
    provider: z.enum(['sandbox', 'stripe']),
    checkoutUrl: z.string().nullable(),
    grantId: z.string().nullable(),
    createdAt: Time,
    paidAt: Time.nullable(),
    refundedAt: Time.nullable(),
    autoTopUp: z.boolean().meta({ description: 'Bought by auto top-up rather than by the customer; a top-up that could not be paid is `canceled`' }),
  })
  .meta({
    id: 'Purchase',
    description: 'A pack bought by a customer',
    examples: [{ id: 'pur_9a3c5e7f1b2d4068', customerId: 'u_42', packId: 'pack-100', credits: 100, price: { amount: 1000, currency: 'usd' }, status: 'paid', provider: 'sandbox', checkoutUrl: null, grantId: 'grt_1e4b7d0a3c6f9285', createdAt: '2026-11-23T22:00:00.000Z', paidAt: '2026-11-23T22:00:00.000Z', refundedAt: null, autoTopUp: false }],
  });

export const AutoTopUpView = z
  .object({
    customerId: z.string(),
    enabled: z.boolean(),
    threshold: z.number().int().nullable().meta({ description: 'In credits: a write that leaves the available balance below it buys a top-up' }),
    packId: z.string().nullable(),
    quantity: z.number().int().nullable(),
    monthlyLimit: z.object({ purchases: z.number().int().nullable(), amount: z.number().int().nullable() }).meta({ description: 'Per UTC calendar month; `amount` in the pack currency\'s minor unit; null: no limit' }),
    cooldownSeconds: z.number().int().nullable(),
    topUp: z.object({ credits: z.number().int(), price: MoneyView }).nullable().meta({ description: 'What one top-up buys (quantity × the pack, as priced when set)' }),
    reason: z.string().nullable(),
    thisMonth: z.object({ month: z.string(), purchases: z.number().int(), amount: z.number().int() }),
    state: z.object({
      armed: z.boolean().meta({ description: 'False from a top-up until the balance is back at or above the threshold' }),
      failuresInRow: z.number().int(),
      pendingPurchaseId: z.string().nullable(),
      lastTopUpAt: Time.nullable(),
      lastFailure: z.object({ purchaseId: z.string(), reason: z.string(), at: Time }).nullable(),
    }),
  })
  .meta({
    id: 'AutoTopUp',
    description: "A customer's auto top-up: its settings, this month's top-ups, and its state",
    examples: [
      {
        customerId: 'u_42', enabled: true, threshold: 100, packId: 'pack-500', quantity: 1, monthlyLimit: { purchases: 5, amount: 10000 }, cooldownSeconds: 60,
        topUp: { credits: 500, price: { amount: 2000, currency: 'usd' } }, reason: 'asked by the customer', thisMonth: { month: '2026-11', purchases: 1, amount: 2000 },
        state: { armed: false, failuresInRow: 0, pendingPurchaseId: null, lastTopUpAt: '2026-11-23T22:00:00.000Z', lastFailure: null },
      },
    ],
  });

/** A page of items, newest first, with the cursor for the next page (null at the end). */
export function paged<T extends z.ZodType>(item: T) {
  return z.object({ data: z.array(item), nextCursor: z.string().nullable() });
}

/** The error responses every authenticated route can give. */
export const commonErrors = {
  400: errorResponse('`invalid_request`: a field is missing or wrong (`details.field` names it); nothing changed'),
  401: errorResponse('`unauthorized`: no valid secret API key or customer session'),
  403: errorResponse('`forbidden`: this credential may not call this route, or not for this customer'),
  404: errorResponse('`not_found`: a customer, tool, plan, pack, grant, generation or purchase the request names does not exist'),
};

/** 409 on writes that keep their first answer: the same key with another body, or a settled generation. */
export const conflictError = errorResponse(
  '`idempotency_conflict`: this key (or generation id) was used with another body; `generation_settled`: the generation was already settled the other way; `invalid_state`: not possible in its current state; `already_reported`: the generation\'s result was already reported; `report_window_closed`: its report window has passed',
);

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
  .meta({
    id: 'Event',
    description: 'A change that matters to the app, written in the same transaction as the change',
    examples: [
      { id: 'evt_1m89tvd5q00bf85c7nv0k', type: 'credits.low', createdAt: '2026-11-23T22:00:00.000Z', customerId: 'u_42', sequence: 7, data: { balance: { available: 8, reserved: 0 }, threshold: 10 } },
      {
        id: 'evt_1m89tvd5q00bf85c7nv1m', type: 'auto_top_up.succeeded', createdAt: '2026-11-23T22:00:03.000Z', customerId: 'u_42', sequence: 8,
        data: { purchase: { id: 'pur_topup_3f1c9a2b7d4e6f80_4', customerId: 'u_42', packId: 'pack-500', credits: 500, price: { amount: 2000, currency: 'usd' }, status: 'paid', provider: 'stripe', checkoutUrl: null, grantId: 'addon:pur_topup_3f1c9a2b7d4e6f80_4', createdAt: '2026-11-23T22:00:00.000Z', paidAt: '2026-11-23T22:00:03.000Z', refundedAt: null, autoTopUp: true } },
      },
      {
        id: 'evt_1m89tvd5q00bf85c7nv2p', type: 'auto_top_up.failed', createdAt: '2026-11-23T22:00:03.000Z', customerId: 'u_42', sequence: 9,
        data: { purchase: { id: 'pur_topup_3f1c9a2b7d4e6f80_5', customerId: 'u_42', packId: 'pack-500', credits: 500, price: { amount: 2000, currency: 'usd' }, status: 'canceled', provider: 'stripe', checkoutUrl: null, grantId: null, createdAt: '2026-11-23T22:00:00.000Z', paidAt: null, refundedAt: null, autoTopUp: true }, reason: 'requires_action', failuresInRow: 1 },
      },
      { id: 'evt_1m89tvd5q00bf85c7nv3r', type: 'auto_top_up.disabled', createdAt: '2026-11-23T22:00:03.000Z', customerId: 'u_42', sequence: 12, data: { reason: '3 top-ups failed in a row', lastFailure: 'card_declined' } },
    ],
  });

export const AlertsView = z
  .object({ lowBalance: z.array(z.number().int()), expiringSoonDays: z.number().int() })
  .meta({ id: 'Alerts', description: "A customer's alert settings", examples: [{ lowBalance: [50, 10], expiringSoonDays: 7 }] });

const Sourced = z.object({ value: z.number().int(), source: z.enum(['customer', 'plan']) }).nullable();
const WindowUse = z.object({ day: z.number().int(), month: z.number().int() });
const WindowBounds = z.object({ start: Time, end: Time });
export const LimitsView = z
  .object({
    customerId: z.string(),
    own: LimitsOut.nullable().meta({ description: 'The limits the customer set itself; null: none (its plan\'s apply)' }),
    reason: z.string().nullable().meta({ description: 'Why its own limits were last set' }),
    planId: z.string().nullable().meta({ description: 'The active plan whose limits fill in what the customer leaves out' }),
    effective: z
      .object({
        daily: Sourced,
        monthly: Sourced,
        tools: z.record(z.string(), z.object({ daily: Sourced, monthly: Sourced })),
        maxInFlight: Sourced,
      })
      .meta({ description: 'Each limit in force with where it came from (`customer` or `plan`); null: no limit' }),
    used: WindowUse.extend({ tools: z.record(z.string(), WindowUse) }).meta({ description: 'Credits reserved in the current UTC day and month, net of credits that came back; in total and per tool' }),
    inFlight: z.number().int().meta({ description: 'Generations the customer holds reserved now' }),
    windows: z.object({ day: WindowBounds, month: WindowBounds }),
    asOf: Time,
  })
  .meta({
    id: 'LimitsState',
    description: "A customer's spend limits as they apply, and what is used",
    examples: [
      {
        customerId: 'u_42',
        own: { daily: 100 },
        reason: 'runaway script on 2026-11-20',
        planId: 'pro',
        effective: { daily: { value: 100, source: 'customer' }, monthly: { value: 3000, source: 'plan' }, tools: {}, maxInFlight: { value: 4, source: 'plan' } },
        used: { day: 40, month: 950, tools: {} },
        inFlight: 1,
        windows: { day: { start: '2026-11-25T00:00:00.000Z', end: '2026-11-26T00:00:00.000Z' }, month: { start: '2026-11-01T00:00:00.000Z', end: '2026-12-01T00:00:00.000Z' } },
        asOf: '2026-11-25T14:03:00.000Z',
      },
    ],
  });

/** A team member (issue 15), with what it used of the current UTC day and month. */
export const MemberView = z
  .object({
    customerId: z.string().meta({ description: 'The team' }),
    id: z.string(),
    name: z.string().nullable(),
    email: z.string().nullable(),
    role: z.enum(['admin', 'member']),
    limits: z.object({ daily: z.number().int().optional(), monthly: z.number().int().optional() }).nullable().meta({ description: "The member's own caps; null: none (the team's limits still apply)" }),
    limitsReason: z.string().nullable().meta({ description: 'Why its limits were last set' }),
    used: WindowUse.meta({ description: 'Credits the member reserved in the current UTC day and month, net of credits that came back' }),
    windows: z.object({ day: WindowBounds, month: WindowBounds }),
    createdAt: Time,
    updatedAt: Time,
    removedAt: Time.nullable().meta({ description: 'When it was removed (it can no longer reserve); null while it is a member' }),
  })
  .meta({
    id: 'Member',
    description: "One user of a team customer: spends from the team's pool within its own limits",
    examples: [
      {
        customerId: 'team_acme',
        id: 'ada',
        name: 'Ada Lovelace',
        email: 'ada@example.com',
        role: 'member',
        limits: { monthly: 500 },
        limitsReason: 'intern',
        used: { day: 12, month: 340 },
        windows: { day: { start: '2026-11-25T00:00:00.000Z', end: '2026-11-26T00:00:00.000Z' }, month: { start: '2026-11-01T00:00:00.000Z', end: '2026-12-01T00:00:00.000Z' } },
        createdAt: '2026-11-01T09:00:00.000Z',
        updatedAt: '2026-11-20T09:00:00.000Z',
        removedAt: null,
      },
    ],
  });
