import { consumptionOrder, isUsable } from './consumption.js';
import type { Grant, GrantSource } from './types.js';

export interface BreakdownLine {
  source: GrantSource;
  available: number;
  expiresAt: number | null;
}

/**
 * Groups available credits by source and expiry, in the order they will be spent,
 * as the balance's `breakdown` shows them.
 */
export function summarizeBalance(grants: readonly Grant[], now: number): { available: number; breakdown: BreakdownLine[] } {
  const lines: BreakdownLine[] = [];
  let available = 0;
  for (const grant of grants.filter((g) => isUsable(g, now)).sort(consumptionOrder)) {
    available += grant.remaining;
    const line = lines.find((l) => l.source === grant.source && l.expiresAt === grant.expiresAt);
    if (line) line.available += grant.remaining;
    else lines.push({ source: grant.source, available: grant.remaining, expiresAt: grant.expiresAt });
  }
  return { available, breakdown: lines };
}
