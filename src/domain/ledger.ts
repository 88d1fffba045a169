import type { EntryType, LedgerEntry } from './types.js';

/**
 * What each entry type does, per credit, to the grant's available credits and to
 * the customer's reserved credits. The ledger is the sum of these effects.
 */
export const ENTRY_EFFECTS: Record<EntryType, { available: -1 | 0 | 1; reserved: -1 | 0 | 1 }> = {
  grant: { available: 1, reserved: 0 },
  reserve: { available: -1, reserved: 1 },
  release: { available: 1, reserved: -1 },
  charge: { available: 0, reserved: -1 },
  refund: { available: 1, reserved: 0 },
  expire: { available: -1, reserved: 0 },
  void: { available: -1, reserved: 0 },
};

/** The deltas an entry of `type` and `amount` carries. */
export function entryDeltas(type: EntryType, amount: number): { availableDelta: number; reservedDelta: number } {
  const effect = ENTRY_EFFECTS[type];
  return { availableDelta: effect.available * amount, reservedDelta: effect.reserved * amount };
}

/** Totals of a customer's credits, recomputed from the ledger alone (Rule 13). */
export interface LedgerTotals {
  granted: number;
  reserved: number;
  spent: number;
  expired: number;
  voided: number;
  /** Remaining credits per grant id. */
  remaining: Map<string, number>;
}

export function replayLedger(entries: Iterable<Pick<LedgerEntry, 'type' | 'grantId' | 'amount' | 'availableDelta' | 'reservedDelta'>>): LedgerTotals {
  const totals: LedgerTotals = { granted: 0, reserved: 0, spent: 0, expired: 0, voided: 0, remaining: new Map() };
  for (const e of entries) {
    totals.remaining.set(e.grantId, (totals.remaining.get(e.grantId) ?? 0) + e.availableDelta);
    totals.reserved += e.reservedDelta;
    if (e.type === 'grant') totals.granted += e.amount;
    else if (e.type === 'charge') totals.spent += e.amount;
    else if (e.type === 'refund') totals.spent -= e.amount;
    else if (e.type === 'expire') totals.expired += e.amount;
    else if (e.type === 'void') totals.voided += e.amount;
  }
  return totals;
}
