import { windowStarts, type SpendWindow } from '../../domain/limits.js';
import type { Customer, Generation, Grant, Plan, Subscription } from '../../domain/types.js';
import type { CustomerLoad } from '../store.js';

/**
 * What the write engine knows of one customer as of a version it wrote or read
 * itself: everything a snapshot would give a write that names nothing else.
 * A write decided on it is applied only if the customer is still at that
 * version (purse_apply's check), and only while the plans it used are unchanged
 * (the rows are sent back and compared): another process's write, a change made
 * outside the engine (which also moves the version) or an operator's change to a
 * plan makes the write decide again on a snapshot read from the database.
 */
export interface CachedCustomer {
  version: number;
  customer: Customer;
  /** Live grants and those the reserved generations drew on. */
  grants: Map<string, Grant>;
  /** Every reserved generation of the customer (the state is kept only while they are few). */
  generations: Map<string, Generation>;
  subscription: Subscription | null;
  plans: Plan[];
  /** The plans' rows as read, sent back with a write to check they are unchanged. */
  planRows: Record<string, unknown>;
  /** Spend windows as read or written, or null when limits were not in force. */
  spendWindows: SpendWindow[] | null;
  /** The window starts `spendWindows` holds every row of. */
  windowStarts: ReadonlySet<number>;
}

/** At most this many open holds are kept for a customer; one with more is read from the database each time. */
export const MAX_CACHED_HOLDS = 256;

/**
 * A bounded map, least recently used first out, of the customers this process
 * writes. Keeping one costs its live grants and open holds.
 */
export class CustomerCache {
  private readonly entries = new Map<string, CachedCustomer>();

  constructor(private readonly max: number) {}

  get(customerId: string): CachedCustomer | undefined {
    const entry = this.entries.get(customerId);
    if (entry) {
      this.entries.delete(customerId);
      this.entries.set(customerId, entry);
    }
    return entry;
  }

  set(customerId: string, entry: CachedCustomer): void {
    this.entries.delete(customerId);
    this.entries.set(customerId, entry);
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
  }

  delete(customerId: string): void {
    this.entries.delete(customerId);
  }
}

/**
 * Whether `entry` holds everything a snapshot would load for `load`. Purchases,
 * team members and plans not already held are read from the database; so are
 * generations not held, except the new one a reservation names (its id is
 * presumed free: purse_apply's unique keys refuse it if not, and the write is
 * then decided again on a snapshot).
 */
export function covers(entry: CachedCustomer, load: CustomerLoad): boolean {
  if ((load.purchaseIds?.length ?? 0) > 0 || load.memberId !== undefined) return false;
  if (load.grantIds?.some((id) => !entry.grants.has(id))) return false;
  if (load.planIds?.some((id) => !entry.plans.some((p) => p.id === id))) return false;
  if (load.generationIds?.some((id) => id !== load.newGenerationId && !entry.generations.has(id))) return false;
  const starts = Object.values(windowStarts(load.now));
  if (entry.spendWindows) return starts.every((s) => entry.windowStarts.has(s));
  // Not loaded: the snapshot would not load them either, unless limits are now in force.
  const plan = entry.subscription?.status === 'active' ? entry.plans.find((p) => p.id === entry.subscription!.planId) : undefined;
  if (entry.customer.limits || plan?.limits) return false;
  // A hold counted in them (reserved while limits were in force) gives back to them when it ends.
  return ![...entry.generations.values()].some((g) => g.counted);
}
