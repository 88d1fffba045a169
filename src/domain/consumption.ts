import type { Allocation, Grant } from './types.js';

/** True when a grant has credits that can be reserved at `now`. */
export function isUsable(grant: Grant, now: number): boolean {
  return grant.voidedAt === null && grant.remaining > 0 && !hasExpired(grant, now);
}

export function hasExpired(grant: Pick<Grant, 'expiresAt'>, now: number): boolean {
  return grant.expiresAt !== null && grant.expiresAt <= now;
}

/**
 * Rule 2: soonest expiry first, never-expiring last, then lower priority, then
 * the oldest grant (ids break exact ties so the order is total).
 */
export function consumptionOrder(a: Grant, b: Grant): number {
  const ea = a.expiresAt ?? Number.POSITIVE_INFINITY;
  const eb = b.expiresAt ?? Number.POSITIVE_INFINITY;
  if (ea !== eb) return ea < eb ? -1 : 1;
  if (a.priority !== b.priority) return a.priority - b.priority;
  if (a.createdAt !== b.createdAt) return a.createdAt - b.createdAt;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export type ReservationPlan =
  | { ok: true; allocations: Allocation[] }
  | { ok: false; available: number; required: number };

/**
 * Decides which grants pay for a reservation of `cost` credits (Rules 2 and 4):
 * the whole cost from usable grants in consumption order, or nothing at all.
 *
 * @example planReservation([plan30, addon100], 40, now) // → plan30 pays 30, addon100 pays 10
 */
export function planReservation(grants: readonly Grant[], cost: number, now: number): ReservationPlan {
  const usable = grants.filter((g) => isUsable(g, now)).sort(consumptionOrder);
  const available = usable.reduce((sum, g) => sum + g.remaining, 0);
  if (available < cost) return { ok: false, available, required: cost };
  const allocations: Allocation[] = [];
  let left = cost;
  for (const grant of usable) {
    if (left === 0) break;
    const take = Math.min(grant.remaining, left);
    allocations.push({ grantId: grant.id, amount: take });
    left -= take;
  }
  return { ok: true, allocations };
}

/** Credits that can be reserved now across the given grants. */
export function availableCredits(grants: readonly Grant[], now: number): number {
  return grants.reduce((sum, g) => (isUsable(g, now) ? sum + g.remaining : sum), 0);
}
