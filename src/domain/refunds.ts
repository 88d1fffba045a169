import { windowStarts } from './limits.js';
import { HOUR_MS } from './time.js';

/**
 * Refunds that follow the cause (Rule 18): why a generation failed, how much of
 * its cost each reason gives back, when a completed one may be reported bad, and
 * how free retries are counted. Pure: no IO, no clock.
 */

/** Why a generation failed: a closed set. Anything else a client sends is `other`, its text kept as the message. */
export const FAILURE_REASONS = ['provider_error', 'timeout', 'safety_blocked', 'user_canceled', 'bad_result', 'other'] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

/** Percent (0–100) of a generation's cost given back, per failure reason; the rest is charged. */
export type RefundPolicy = Record<FailureReason, number>;

/** What a tool or the configuration may set; a reason it leaves out takes the next default. */
export type RefundPolicyOverride = Partial<RefundPolicy>;

/** The built-in policy: technical failures and cancellations give everything back, a safety block nothing. */
export const DEFAULT_REFUND_POLICY: RefundPolicy = {
  provider_error: 100,
  timeout: 100,
  safety_blocked: 0,
  user_canceled: 100,
  bad_result: 100,
  other: 100,
};

/** How long after completion a result may be reported bad, when the tool does not say. */
export const DEFAULT_REPORT_WINDOW_HOURS = 24;
/** The longest report window a tool may have (a year). */
export const MAX_REPORT_WINDOW_HOURS = 8_760;

/**
 * The refund terms of one generation, fixed when it is reserved as its price is
 * (Rule 3): later policy changes do not touch it.
 */
export interface RefundTerms {
  policy: RefundPolicy;
  reportWindowHours: number;
}

/** The terms of a generation reserved before refund policies existed: everything back, the default window. */
export const LEGACY_TERMS: RefundTerms = {
  policy: { provider_error: 100, timeout: 100, safety_blocked: 100, user_canceled: 100, bad_result: 100, other: 100 },
  reportWindowHours: DEFAULT_REPORT_WINDOW_HOURS,
};

export function isFailureReason(value: unknown): value is FailureReason {
  return typeof value === 'string' && (FAILURE_REASONS as readonly string[]).includes(value);
}

/**
 * A failure as a client states it, made into a reason of the closed set and a
 * message. A reason outside the set is free text from a client that predates
 * the set: it becomes `other`, and the text is kept as the message.
 *
 * @example classifyFailure('GPU fell over') // → { reason: 'other', message: 'GPU fell over' }
 */
export function classifyFailure(reason: string | undefined, message?: string): { reason: FailureReason; message: string | null } {
  if (reason === undefined) return { reason: 'other', message: message ?? null };
  if (isFailureReason(reason)) return { reason, message: message ?? null };
  return { reason: 'other', message: message === undefined ? reason : `${reason}: ${message}` };
}

/** A tool's policy over the configured one over the built-in one. */
export function resolvePolicy(...layers: (RefundPolicyOverride | null | undefined)[]): RefundPolicy {
  const policy = { ...DEFAULT_REFUND_POLICY };
  for (const layer of layers) if (layer) for (const reason of FAILURE_REASONS) if (layer[reason] !== undefined) policy[reason] = layer[reason]!;
  return policy;
}

/**
 * How `cost` credits split under `percent`: credits returned = floor(cost × percent / 100),
 * the rest kept (charged). Rounding down favours the app by less than one credit.
 *
 * @example refundSplit(5, 50) // → { returned: 2, kept: 3 }
 */
export function refundSplit(cost: number, percent: number): { returned: number; kept: number } {
  const returned = Math.floor((cost * percent) / 100);
  return { returned, kept: cost - returned };
}

/**
 * The rule a refund followed, as the ledger and events name it.
 *
 * @example policyRule('safety_blocked', 0) // → 'refund_policy:safety_blocked:0'
 */
export function policyRule(reason: FailureReason, percent: number): string {
  return `refund_policy:${reason}:${percent}`;
}


/** Until when a generation completed at `settledAt` may be reported bad. */
export function reportDeadline(settledAt: number, windowHours: number): number {
  return settledAt + windowHours * HOUR_MS;
}

/**
 * What a customer used of its refund allowances: free retries in its current
 * plan period (named by the period's start) and reports on its current UTC day.
 * A count of an older period or day is zero now.
 */
export interface RefundUsage {
  periodStart: number | null;
  freeRetries: number;
  day: number;
  reports: number;
}

export const NO_USAGE: RefundUsage = { periodStart: null, freeRetries: 0, day: 0, reports: 0 };

/** The start of the UTC day `at` falls in: the day window of the spend limits. */
export function dayStart(at: number): number {
  return windowStarts(at).day;
}

/** Free retries used in the period starting at `periodStart` (a count of another period is zero). */
export function freeRetriesUsed(usage: RefundUsage, periodStart: number): number {
  return usage.periodStart === periodStart ? usage.freeRetries : 0;
}

/** Reports made on the UTC day of `now`. */
export function reportsToday(usage: RefundUsage, now: number): number {
  return usage.day === dayStart(now) ? usage.reports : 0;
}

/** Whether one more is allowed under `limit` (null: unlimited) with `used` used. */
export function withinAllowance(limit: number | null, used: number): boolean {
  return limit === null || used < limit;
}
