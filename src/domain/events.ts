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

const DAY_MS = 86_400_000;

/** When a grant expiring at `expiresAt` is announced, or null (never expires, or announcements off). */
export function expiryWarningAt(expiresAt: number | null, days: number): number | null {
  if (expiresAt === null || days <= 0) return null;
  return expiresAt - days * DAY_MS;
}
