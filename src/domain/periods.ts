import { DAY_MS } from './time.js';

/** How often a plan issues its credits. */
export type Period = 'day' | 'week' | 'month' | 'year';
export const PERIODS: readonly Period[] = ['day', 'week', 'month', 'year'];


function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
}

/**
 * The start of period number `index` of a subscription anchored at `anchor`.
 * Months and years count from the anchor and clamp at month ends, so an anchor
 * on Jan 31 gives Feb 28 (29 in a leap year), then Mar 31 — never drifting.
 *
 * @example periodStart(Date.UTC(2026, 0, 31), 'month', 1) // → 2026-02-28T00:00:00Z
 */
export function periodStart(anchor: number, period: Period, index: number): number {
  if (period === 'day') return anchor + index * DAY_MS;
  if (period === 'week') return anchor + index * 7 * DAY_MS;
  const a = new Date(anchor);
  const months = period === 'month' ? index : index * 12;
  const total = a.getUTCMonth() + months;
  const year = a.getUTCFullYear() + Math.floor(total / 12);
  const month = ((total % 12) + 12) % 12;
  const day = Math.min(a.getUTCDate(), daysInMonth(year, month));
  return Date.UTC(year, month, day, a.getUTCHours(), a.getUTCMinutes(), a.getUTCSeconds(), a.getUTCMilliseconds());
}

/** The bounds [start, end) of period number `index`. */
export function periodBounds(anchor: number, period: Period, index: number): { start: number; end: number } {
  return { start: periodStart(anchor, period, index), end: periodStart(anchor, period, index + 1) };
}

/** Which period `at` falls in (0 for the first); never negative. */
export function periodIndexAt(anchor: number, period: Period, at: number): number {
  if (at < anchor) return 0;
  const approx = period === 'day' ? DAY_MS : period === 'week' ? 7 * DAY_MS : period === 'month' ? 28 * DAY_MS : 365 * DAY_MS;
  let index = Math.max(0, Math.floor((at - anchor) / approx) - 1);
  // Months and years vary in length: step back then forward to the exact period.
  while (index > 0 && periodStart(anchor, period, index) > at) index--;
  while (periodStart(anchor, period, index + 1) <= at) index++;
  return index;
}

/**
 * Rule 8's rollover: what of a period's unused plan credits carries into the next
 * period's grant — all of it up to the plan's cap (default 0).
 */
export function rolloverCredits(unused: number, cap: number): number {
  return Math.max(0, Math.min(unused, cap));
}

const DAYS_PER: Record<Period, number> = { day: 1, week: 7, month: 30.436875, year: 365.2425 };

/**
 * Rule 9: a change to a plan that gives more credits per day (or, as many, for a
 * higher price per day) is an upgrade and takes effect at once; anything else
 * waits for the period's end.
 */
export function isUpgrade(
  from: { creditsPerPeriod: number; period: Period; price: { amount: number } },
  to: { creditsPerPeriod: number; period: Period; price: { amount: number } },
): boolean {
  const perDay = (p: typeof from) => p.creditsPerPeriod / DAYS_PER[p.period];
  const pricePerDay = (p: typeof from) => p.price.amount / DAYS_PER[p.period];
  if (perDay(to) !== perDay(from)) return perDay(to) > perDay(from);
  return pricePerDay(to) > pricePerDay(from);
}

/**
 * Whether a subscription's current period has ended and Purse must start the
 * next one (Rule 8): only periods Purse drives; Stripe's start with a paid invoice.
 */
export function isPeriodDue(sub: { status: string; drivenBy: string; currentPeriodEnd: number } | null, now: number): boolean {
  return sub !== null && sub.status === 'active' && sub.drivenBy === 'purse' && sub.currentPeriodEnd <= now;
}
