import type { Generation, Grant } from './types.js';

/** Grants whose expiry has passed while they still hold credits (Rules 1 and 8). */
export function dueExpiries(grants: readonly Grant[], now: number): Grant[] {
  return grants.filter((g) => g.voidedAt === null && g.remaining > 0 && g.expiresAt !== null && g.expiresAt <= now);
}

/** A reserved generation whose hold has run out fails by itself (Rule 7). */
export function isHoldDue(generation: Pick<Generation, 'status' | 'holdUntil'>, now: number): boolean {
  return generation.status === 'reserved' && generation.holdUntil <= now;
}
