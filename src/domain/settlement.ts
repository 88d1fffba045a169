import { hasExpired } from './consumption.js';
import type { Allocation, Grant } from './types.js';

/**
 * Splits a reservation when completing with a charge of `charge` credits (Rule 5):
 * the charge is taken from the front of the allocations (the grants that expire
 * soonest); the rest goes back. `charge` must not exceed the reservation.
 */
export function splitForCharge(
  allocations: readonly Allocation[],
  charge: number,
): { charged: Allocation[]; released: Allocation[] } {
  const charged: Allocation[] = [];
  const released: Allocation[] = [];
  let left = charge;
  for (const part of allocations) {
    const take = Math.min(part.amount, left);
    left -= take;
    if (take > 0) charged.push({ grantId: part.grantId, amount: take });
    if (part.amount - take > 0) released.push({ grantId: part.grantId, amount: part.amount - take });
  }
  if (left > 0) throw new RangeError(`charge ${charge} exceeds the reservation`);
  return { charged, released };
}

/**
 * Which charged credits a refund of `amount` gives back (Rule 11), given what
 * earlier refunds already returned. Refunds unwind the charge from its end, so
 * the grants that expire last get their credits back first.
 */
export function planRefund(charged: readonly Allocation[], alreadyRefunded: number, amount: number): Allocation[] {
  const total = charged.reduce((s, p) => s + p.amount, 0);
  if (alreadyRefunded + amount > total) throw new RangeError('refund exceeds what was charged');
  let skip = alreadyRefunded;
  let left = amount;
  const parts: Allocation[] = [];
  for (let i = charged.length - 1; i >= 0 && left > 0; i--) {
    const part = charged[i]!;
    const skipped = Math.min(part.amount, skip);
    skip -= skipped;
    const take = Math.min(part.amount - skipped, left);
    if (take > 0) parts.push({ grantId: part.grantId, amount: take });
    left -= take;
  }
  return parts;
}

/** What happens to credits returned to a grant: kept, or lapsed with it (Rule 6). */
export interface ReturnOutcome extends Allocation {
  lapse: 'expired' | 'voided' | null;
}

/**
 * Credits going back to the grants they came from. A grant that has expired or
 * been voided meanwhile takes them back only to lose them at once.
 */
export function planReturn(parts: readonly Allocation[], grants: ReadonlyMap<string, Grant>, now: number): ReturnOutcome[] {
  return parts.map((part) => {
    const grant = grants.get(part.grantId);
    if (!grant) throw new Error(`grant ${part.grantId} is not loaded`);
    const lapse = grant.voidedAt !== null ? 'voided' : hasExpired(grant, now) ? 'expired' : null;
    return { ...part, lapse };
  });
}
