import { ENTRY_EFFECTS } from '../domain/ledger.js';
import type { EntryType, GenerationStatus } from '../domain/types.js';
import type { AuditReport } from './store.js';

/** Aggregates an adapter reads so that {@link compareWithLedger} can check them. */
export interface AuditInput {
  grants: Iterable<{ customerId: string; id: string; amount: number; remaining: number }>;
  ledgerByGrant: Iterable<{ customerId: string; grantId: string; available: number; granted: number; grantEntries: number }>;
  generations: Iterable<{ customerId: string; id: string; status: GenerationStatus; cost: number; charged: number; refunded: number }>;
  ledgerByGeneration: Iterable<{ customerId: string; generationId: string; reserved: number; spent: number }>;
  /** Entries whose deltas do not match their type: (type, amount, availableDelta, reservedDelta). */
  entries: number;
  malformedEntries: Iterable<{ id: number; type: string; amount: number; availableDelta: number; reservedDelta: number }>;
}

/**
 * The ledger check (Rule 13): every grant's remaining credits, every generation's
 * held and charged credits, recomputed from the ledger, must equal what is stored.
 */
export function compareWithLedger(input: AuditInput): AuditReport {
  const problems: string[] = [];
  const customers = new Set<string>();
  const key = (c: string, id: string) => `${c}\u0000${id}`;

  const byGrant = new Map<string, { available: number; granted: number; grantEntries: number }>();
  for (const row of input.ledgerByGrant) byGrant.set(key(row.customerId, row.grantId), row);
  let grants = 0;
  for (const g of input.grants) {
    grants++;
    customers.add(g.customerId);
    const k = key(g.customerId, g.id);
    const sums = byGrant.get(k);
    byGrant.delete(k);
    if (!sums) {
      problems.push(`grant ${g.id} of ${g.customerId} has no ledger entries`);
      continue;
    }
    if (sums.available !== g.remaining) problems.push(`grant ${g.id} of ${g.customerId}: remaining ${g.remaining}, ledger says ${sums.available}`);
    if (sums.grantEntries !== 1 || sums.granted !== g.amount) problems.push(`grant ${g.id} of ${g.customerId}: amount ${g.amount}, ledger granted ${sums.granted} in ${sums.grantEntries} entries`);
    if (g.remaining < 0) problems.push(`grant ${g.id} of ${g.customerId} is negative: ${g.remaining}`);
  }
  for (const k of byGrant.keys()) problems.push(`ledger entries name a grant that does not exist: ${k.replace('\u0000', '/')}`);

  const byGeneration = new Map<string, { reserved: number; spent: number }>();
  for (const row of input.ledgerByGeneration) byGeneration.set(key(row.customerId, row.generationId), row);
  for (const gen of input.generations) {
    const k = key(gen.customerId, gen.id);
    const sums = byGeneration.get(k) ?? { reserved: 0, spent: 0 };
    byGeneration.delete(k);
    const held = gen.status === 'reserved' ? gen.cost : 0;
    if (sums.reserved !== held) problems.push(`generation ${gen.id} of ${gen.customerId} (${gen.status}) holds ${held}, ledger says ${sums.reserved}`);
    if (sums.spent !== gen.charged - gen.refunded) problems.push(`generation ${gen.id} of ${gen.customerId}: charged ${gen.charged} refunded ${gen.refunded}, ledger says spent ${sums.spent}`);
  }
  for (const k of byGeneration.keys()) problems.push(`ledger entries name a generation that does not exist: ${k.replace('\u0000', '/')}`);

  for (const e of input.malformedEntries) {
    const effect = ENTRY_EFFECTS[e.type as EntryType];
    if (!effect || e.availableDelta !== effect.available * e.amount || e.reservedDelta !== effect.reserved * e.amount) {
      problems.push(`ledger entry ${e.id} (${e.type} ${e.amount}) carries deltas ${e.availableDelta}/${e.reservedDelta}`);
    }
  }
  return { customers: customers.size, grants, entries: input.entries, problems };
}

/** SQL that picks entries whose deltas disagree with their type; the same in both dialects. */
export const MALFORMED_ENTRIES_SQL = `
  SELECT id, type, amount, available_delta, reserved_delta FROM ledger_entries
  WHERE available_delta <> amount * CASE type WHEN 'grant' THEN 1 WHEN 'release' THEN 1 WHEN 'refund' THEN 1
                                                WHEN 'charge' THEN 0 ELSE -1 END
     OR reserved_delta <> amount * CASE type WHEN 'reserve' THEN 1 WHEN 'release' THEN -1 WHEN 'charge' THEN -1 ELSE 0 END`;
