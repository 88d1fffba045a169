import { DAY_MS, HOUR_MS } from './time.js';

/**
 * Events: what an app is told about a change (Rule 14). Each is written in the
 * same transaction as the change that causes it, in the order the customer's
 * changes happened.
 */
export const EVENT_TYPES = [
  'credits.granted',
  'credits.low',
  'credits.depleted',
  'credits.expiring_soon',
  'credits.expired',
  'credits.voided',
  'generation.completed',
  'generation.failed',
  'generation.refunded',
  'purchase.paid',
  'purchase.refunded',
  'subscription.started',
  'subscription.renewed',
  'subscription.changed',
  'subscription.canceled',
  'auto_top_up.succeeded',
  'auto_top_up.failed',
  'auto_top_up.disabled',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/**
 * An event as written. `data` holds domain objects (the generation, the grant,
 * the purchase …) under named keys; the API renders them as it renders them
 * anywhere else.
 */
export interface PurseEvent {
  id: string;
  customerId: string;
  type: EventType;
  createdAt: number;
  data: Record<string, unknown>;
  /** The customer's own order of events, 1, 2, 3 …; set by the store. */
  seq?: number;
}

/** A customer's alert settings; null fields take the configured defaults. */
export interface AlertSettings {
  /** Low-balance thresholds, in credits. */
  lowBalance: number[];
  /** How many days before a grant expires `credits.expiring_soon` fires (0: never). */
  expiringSoonDays: number;
}

/**
 * Rule 15: the thresholds a change of the available balance crosses downwards —
 * it was at or above the threshold and is now below it. Staying below, or going
 * lower still, crosses nothing; going back above arms the threshold again.
 *
 * @example lowBalanceCrossings(120, 40, [100, 50, 10]) // → [100, 50]
 */
export function lowBalanceCrossings(before: number, after: number, thresholds: readonly number[]): number[] {
  return thresholds.filter((t) => before >= t && after < t).sort((a, b) => b - a);
}

/** Rule 15: the balance reached zero with this change. */
export function isDepletion(before: number, after: number): boolean {
  return before > 0 && after === 0;
}


/** When a grant expiring at `expiresAt` is announced, or null (never expires, or announcements off). */
export function expiryWarningAt(expiresAt: number | null, days: number): number | null {
  if (expiresAt === null || days <= 0) return null;
  return expiresAt - days * DAY_MS;
}

/** A URL of the app's backend that receives signed events. */
export interface WebhookEndpoint {
  id: string;
  url: string;
  /** The event types it receives; null receives every type. */
  events: EventType[] | null;
  description: string | null;
  /** `whsec_` and the base64 key the signatures are made with. */
  secret: string;
  status: 'enabled' | 'disabled';
  disabledReason: string | null;
  consecutiveFailures: number;
  /** When the current run of failed attempts began; null while deliveries succeed. */
  failingSince: number | null;
  createdAt: number;
  updatedAt: number;
}

/** One event on its way to one endpoint. */
export interface WebhookDelivery {
  id: string;
  endpointId: string;
  eventId: string;
  customerId: string;
  status: 'pending' | 'succeeded' | 'failed';
  attempts: number;
  nextAttemptAt: number;
  /** A worker holds it until then; after that another may take it (a crash repeats, never loses). */
  lockedUntil: number | null;
  createdAt: number;
  updatedAt: number;
}

/** One try to deliver, as the endpoint answered it. */
export interface WebhookAttempt {
  id: string;
  deliveryId: string;
  endpointId: string;
  eventId: string;
  attempt: number;
  statusCode: number | null;
  error: string | null;
  latencyMs: number;
  at: number;
}

/** Whether an endpoint receives events of this type. */
export function endpointWants(endpoint: Pick<WebhookEndpoint, 'events' | 'status'>, type: EventType): boolean {
  return endpoint.status === 'enabled' && (endpoint.events === null || endpoint.events.includes(type));
}

/** How long deliveries to a failing endpoint are retried, and after which it is disabled. */
export const RETRY_WINDOW_MS = 3 * DAY_MS;
/** The longest wait between two attempts. */
export const RETRY_MAX_DELAY_MS = 12 * HOUR_MS;

/**
 * The wait before attempt `attempt + 1` after `attempt` failed: `baseMs` doubled
 * each time up to {@link RETRY_MAX_DELAY_MS}, with ±20 % jitter (`random` in [0, 1)),
 * so a receiver that was down is not hit by every retry at once.
 *
 * @example retryDelayMs(1, 5000, 0.5) // → 5000; retryDelayMs(4, 5000, 0.5) // → 40000
 */
export function retryDelayMs(attempt: number, baseMs: number, random: number): number {
  const plain = Math.min(baseMs * 2 ** Math.max(0, attempt - 1), RETRY_MAX_DELAY_MS);
  return Math.round(plain * (0.8 + 0.4 * random));
}
