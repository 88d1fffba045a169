import { ENTRY_EFFECTS } from '../domain/ledger.js';
import { deferredMoney, moneyLine, moneyOfCredits } from '../domain/money.js';
import type { EntryType, GenerationStatus } from '../domain/types.js';
import type { AuditReport } from './store.js';

/** Aggregates an adapter reads so that {@link compareWithLedger} can check them. */
export interface AuditInput {
  grants: Iterable<{ customerId: string; id: string; amount: number; remaining: number; paid: number; currency: string | null; consumed: number; refunded: boolean }>;
  ledgerByGrant: Iterable<GrantSums>;
  generations: Iterable<{ customerId: string; id: string; status: GenerationStatus; cost: number; charged: number; refunded: number }>;
  ledgerByGeneration: Iterable<{ customerId: string; generationId: string; reserved: number; spent: number }>;
  entries: number;
  /** Entries whose deltas do not match their type, or that move money where their type moves none. */
  malformedEntries: Iterable<{ id: number; customerId: string; type: string; amount: number; availableDelta: number; reservedDelta: number; money: number }>;
}

/** One grant's entries summed: credits, and the money they moved by entry type (`revenue`: charges and refunds). */
export interface GrantSums {
  customerId: string;
  grantId: string;
  available: number;
  granted: number;
  grantEntries: number;
  consumed: number;
  paidIn: number;
  revenue: number;
  expired: number;
  voided: number;
}

/**
 * The ledger check (Rules 13 and 19): every grant's remaining credits, every
 * generation's held and charged credits, recomputed from the ledger, must equal
 * what is stored; and in money, for every customer and currency, paid in =
 * revenue + breakage + refunds + deferred to the minor unit.
 */
export function compareWithLedger(input: AuditInput): AuditReport {
  const problems: string[] = [];
  const customers = new Set<string>();
  const key = (c: string, id: string) => `${c}\u0000${id}`;

  const byGrant = new Map<string, GrantSums>();
  for (const row of input.ledgerByGrant) byGrant.set(key(row.customerId, row.grantId), row);
  const books = new Map<string, { customerId: string; currency: string | null; paidIn: number; revenue: number; breakage: number; refunds: number; deferred: number }>();
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
    // Money (Rule 19): what the grant's entries moved must be its basis applied to what the ledger consumed of it.
    if (sums.consumed !== g.consumed) problems.push(`grant ${g.id} of ${g.customerId}: consumed ${g.consumed}, ledger says ${sums.consumed}`);
    if (sums.paidIn !== g.paid) problems.push(`grant ${g.id} of ${g.customerId}: paid ${g.paid}, its grant entry says ${sums.paidIn}`);
    const recognised = sums.revenue + sums.expired + sums.voided;
    const due = moneyOfCredits(g.paid, g.amount, Math.max(0, Math.min(g.amount, sums.consumed)));
    if (recognised !== due) problems.push(`grant ${g.id} of ${g.customerId}: entries moved ${recognised} of its money, its basis says ${due} for ${sums.consumed} credits consumed`);
    const bk = key(g.customerId, g.currency ?? '');
    const line = books.get(bk) ?? { customerId: g.customerId, currency: g.currency, paidIn: 0, revenue: 0, breakage: 0, refunds: 0, deferred: 0 };
    line.paidIn += sums.paidIn;
    line.revenue += sums.revenue;
    line.breakage += sums.expired;
    line[moneyLine('void', g) as 'breakage' | 'refunds'] += sums.voided;
    line.deferred += deferredMoney(g);
    books.set(bk, line);
  }
  for (const b of books.values()) {
    if (b.paidIn !== b.revenue + b.breakage + b.refunds + b.deferred) {
      problems.push(
        `customer ${b.customerId}, ${b.currency ?? 'no currency'}: paid in ${b.paidIn} ≠ revenue ${b.revenue} + breakage ${b.breakage} + refunds ${b.refunds} + deferred ${b.deferred}`,
      );
    }
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
      problems.push(`ledger entry ${e.id} of ${e.customerId} (${e.type} ${e.amount}) carries deltas ${e.availableDelta}/${e.reservedDelta}`);
    }
    if (e.money !== 0 && (e.type === 'reserve' || e.type === 'release')) problems.push(`ledger entry ${e.id} of ${e.customerId} (${e.type} ${e.amount}) moves money ${e.money}`);
  }
  return { customers: customers.size, grants, entries: input.entries, problems };
}

/** SQL that picks entries whose deltas disagree with their type, or holds that move money; the same in both dialects. */
export const MALFORMED_ENTRIES_SQL = `/* cross-shard: the ledger check reads every customer */ 
  SELECT id, customer_id, type, amount, available_delta, reserved_delta, money FROM ledger_entries
  WHERE (money <> 0 AND type IN ('reserve', 'release'))
     OR available_delta <> amount * CASE type WHEN 'grant' THEN 1 WHEN 'release' THEN 1 WHEN 'refund' THEN 1
                                                WHEN 'charge' THEN 0 ELSE -1 END
     OR reserved_delta <> amount * CASE type WHEN 'reserve' THEN 1 WHEN 'release' THEN -1 WHEN 'charge' THEN -1 ELSE 0 END`;
