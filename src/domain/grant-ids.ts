import type { Subscription } from './types.js';

/**
 * The ids of grants that must be issued at most once, derived from what issues
 * them so that a second issue finds the first (and the store's key refuses it).
 */

/** The add-on grant of a paid purchase: one per purchase, however often its payment is notified. */
export function packGrantId(purchaseId: string): string {
  return `addon:${purchaseId}`;
}

/** A period's plan grant as subscriptions stored before they named it: (subscription, period start). */
export function legacyPlanGrantId(subscriptionId: string, periodStart: number): string {
  return `plan:${subscriptionId}:${periodStart}`;
}

/**
 * The id of the current period's plan grant: the one the subscription names, or,
 * on a subscription stored before it named one, the id derived from its start.
 */
export function currentPlanGrantId(sub: Pick<Subscription, 'id' | 'periodGrantId' | 'currentPeriodStart'>): string {
  return sub.periodGrantId ?? legacyPlanGrantId(sub.id, sub.currentPeriodStart);
}

/**
 * The id of the plan grant of a period the payment provider started: derived from
 * (subscription, plan, period start), so a second notice of the same period finds
 * the grant, and a period of another plan that starts at the same instant does not.
 */
export function providerPeriodGrantId(subscriptionId: string, planId: string, periodStart: number): string {
  return `plan:${subscriptionId}:${planId}:${periodStart}`;
}
