/** The most credits one generation may cost: keeps sums far below 2^53. */
export const MAX_GENERATION_COST = 1_000_000_000_000;

/**
 * What a generation costs: the tool's credits per unit times the units (Rule 3).
 * Returns null when the product would exceed {@link MAX_GENERATION_COST}.
 */
export function generationCost(unitCredits: number, units: number): number | null {
  const cost = unitCredits * units;
  return Number.isSafeInteger(cost) && cost <= MAX_GENERATION_COST ? cost : null;
}
