import { createHash } from 'node:crypto';
import type { Price } from './types.js';

/**
 * Auto top-up: a customer's standing order to buy `quantity` × a pack when a
 * write leaves the available balance below `threshold`. Kept whole on the
 * customer's row, so the write that crosses the threshold already has it loaded.
 */
export interface AutoTopUp {
  enabled: boolean;
  /** In credits: a write that leaves the available balance below this buys a top-up. */
  threshold: number;
  packId: string;
  quantity: number;
  /** At most this many top-ups, and this much money, per UTC calendar month (null: no limit). */
  monthlyLimit: { purchases: number | null; amount: number | null };
  /** The least time between two top-ups, against loops. */
  cooldownSeconds: number;
  /** What one top-up buys, taken from the pack when auto top-up was set. */
  credits: number;
  price: Price;
  expiresInDays: number | null;
  /** Who is paid for top-ups: the provider configured when auto top-up was set. */
  provider: 'sandbox' | 'stripe';
  /** Why it was last set, or why it turned itself off. */
  reason: string | null;
  state: AutoTopUpState;
}

export interface AutoTopUpState {
  /** False from a top-up until the balance is back at or above the threshold: one top-up per crossing. */
  armed: boolean;
  /** Top-ups made so far; the next one's purchase id is derived from it. */
  crossings: number;
  /** The top-up being paid, if any: no second one starts before it ends. */
  pendingPurchaseId: string | null;
  failuresInRow: number;
  lastTopUpAt: number | null;
  lastFailure: { purchaseId: string; reason: string; at: number } | null;
  /** The UTC month (`2030-03`) the counts below are of. */
  month: string;
  monthPurchases: number;
  monthAmount: number;
}

/** After this many failed top-ups in a row, auto top-up turns itself off. */
export const MAX_FAILURES_IN_ROW = 3;

/** The cooldown when none is set. */
export const DEFAULT_COOLDOWN_SECONDS = 60;

/** The UTC calendar month of an instant, `YYYY-MM`. */
export function monthOf(at: number): string {
  return new Date(at).toISOString().slice(0, 7);
}

/** This month's counts: a new month starts from zero. */
export function thisMonth(state: AutoTopUpState, now: number): { month: string; purchases: number; amount: number } {
  const month = monthOf(now);
  return state.month === month ? { month, purchases: state.monthPurchases, amount: state.monthAmount } : { month, purchases: 0, amount: 0 };
}

/**
 * The id of the purchase a customer's `crossing`th top-up makes: the same
 * crossing can only ever make one (the store's key refuses a second). The
 * customer is named by a digest so the id stays short whatever its id.
 */
export function topUpPurchaseId(customerId: string, crossing: number): string {
  return `pur_topup_${createHash('sha256').update(customerId).digest('hex').slice(0, 16)}_${crossing}`;
}

/**
 * What a write that leaves `available` credits does to auto top-up: re-arm it
 * when the balance is back at or above the threshold, or, below it, say why no
 * top-up starts (null: one starts now).
 */
export type TopUpDecision = { fire: false; why: 'off' | 'above' | 'disarmed' | 'pending' | 'cooldown' | 'monthly_limit'; rearm: boolean } | { fire: true };

export function decideTopUp(a: AutoTopUp, available: number, now: number): TopUpDecision {
  if (!a.enabled) return { fire: false, why: 'off', rearm: false };
  if (available >= a.threshold) return { fire: false, why: 'above', rearm: !a.state.armed };
  if (!a.state.armed) return { fire: false, why: 'disarmed', rearm: false };
  if (a.state.pendingPurchaseId !== null) return { fire: false, why: 'pending', rearm: false };
  if (a.state.lastTopUpAt !== null && now < a.state.lastTopUpAt + a.cooldownSeconds * 1000) return { fire: false, why: 'cooldown', rearm: false };
  const month = thisMonth(a.state, now);
  const amount = a.price.amount * a.quantity;
  if (a.monthlyLimit.purchases !== null && month.purchases + 1 > a.monthlyLimit.purchases) return { fire: false, why: 'monthly_limit', rearm: false };
  if (a.monthlyLimit.amount !== null && month.amount + amount > a.monthlyLimit.amount) return { fire: false, why: 'monthly_limit', rearm: false };
  return { fire: true };
}

/** The state after a top-up started now: disarmed, counted against the month, pending. */
export function started(a: AutoTopUp, purchaseId: string, now: number): AutoTopUpState {
  const month = thisMonth(a.state, now);
  return {
    ...a.state,
    armed: false,
    crossings: a.state.crossings + 1,
    pendingPurchaseId: purchaseId,
    lastTopUpAt: now,
    month: month.month,
    monthPurchases: month.purchases + 1,
    monthAmount: month.amount + a.price.amount * a.quantity,
  };
}

/**
 * The state after a top-up failed: it no longer counts against the month it was
 * made in, the next crossing may buy again, and the failures in a row grow.
 */
export function failed(a: AutoTopUp, purchase: { id: string; createdAt: number; price: Price }, reason: string, now: number): AutoTopUpState {
  const s = a.state;
  const sameMonth = s.month === monthOf(purchase.createdAt);
  return {
    ...s,
    armed: true,
    pendingPurchaseId: s.pendingPurchaseId === purchase.id ? null : s.pendingPurchaseId,
    failuresInRow: s.failuresInRow + 1,
    lastFailure: { purchaseId: purchase.id, reason, at: now },
    monthPurchases: sameMonth ? Math.max(0, s.monthPurchases - 1) : s.monthPurchases,
    monthAmount: sameMonth ? Math.max(0, s.monthAmount - purchase.price.amount) : s.monthAmount,
  };
}

/**
 * The state after a top-up was paid: the failures in a row end. A top-up paid
 * after it had failed (the card holder completed it later) counts against its
 * month again.
 */
export function succeeded(a: AutoTopUp, purchase: { id: string; createdAt: number; price: Price }, hadFailed: boolean): AutoTopUpState {
  const s = a.state;
  const recount = hadFailed && s.month === monthOf(purchase.createdAt);
  return {
    ...s,
    pendingPurchaseId: s.pendingPurchaseId === purchase.id ? null : s.pendingPurchaseId,
    failuresInRow: 0,
    monthPurchases: recount ? s.monthPurchases + 1 : s.monthPurchases,
    monthAmount: recount ? s.monthAmount + purchase.price.amount : s.monthAmount,
  };
}

/** A fresh state for a customer setting auto top-up for the first time. */
export function initialState(now: number): AutoTopUpState {
  return { armed: true, crossings: 0, pendingPurchaseId: null, failuresInRow: 0, lastTopUpAt: null, lastFailure: null, month: monthOf(now), monthPurchases: 0, monthAmount: 0 };
}
