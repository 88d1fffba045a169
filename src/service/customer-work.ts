import { isUsable } from '../domain/consumption.js';
import { dueExpiries, isHoldDue } from '../domain/expiry.js';
import { entryDeltas } from '../domain/ledger.js';
import { planRefund, planReturn, splitForCharge } from '../domain/settlement.js';
import type { Allocation, EntryType, Generation, Grant } from '../domain/types.js';
import { noChanges, type CustomerSnapshot, type Decision, type IdempotencyRecord } from '../store/store.js';

/**
 * One customer's working set inside a write: the snapshot the store loaded, the
 * rules applied to it in memory, and the ledger entries every change produces.
 * `finish` hands the store exactly what changed.
 */
export class CustomerWork {
  readonly grants = new Map<string, Grant>();
  readonly generations = new Map<string, Generation>();
  private readonly changes = noChanges();
  private readonly newGrants = new Set<string>();
  private readonly touchedGrants = new Set<string>();
  private readonly newGenerations = new Set<string>();
  private readonly touchedGenerations = new Set<string>();

  constructor(
    readonly customerId: string,
    snapshot: CustomerSnapshot,
    readonly now: number,
  ) {
    for (const g of snapshot.grants) this.grants.set(g.id, { ...g });
    for (const g of snapshot.generations) if (g.customerId === customerId) this.generations.set(g.id, { ...g, allocations: [...g.allocations] });
  }

  /** Grants with credits that can be reserved now. */
  usableGrants(): Grant[] {
    return [...this.grants.values()].filter((g) => isUsable(g, this.now));
  }

  /**
   * Applies what time has done since the last write: holds that ran out fail with
   * reason `timeout` (Rule 7), then grants past their expiry lose what is left.
   */
  catchUp(): void {
    for (const gen of this.generations.values()) {
      if (isHoldDue(gen, this.now)) this.fail(gen, 'timeout');
    }
    for (const grant of dueExpiries([...this.grants.values()], this.now)) {
      this.entry('expire', grant, grant.remaining, null, 'expired');
    }
  }

  addGrant(grant: Grant): void {
    this.grants.set(grant.id, grant);
    this.newGrants.add(grant.id);
    grant.remaining = 0;
    this.entry('grant', grant, grant.amount, null, grant.reason);
  }

  /** Holds a new generation's allocations, already planned in consumption order. */
  reserve(gen: Generation): void {
    this.generations.set(gen.id, gen);
    this.newGenerations.add(gen.id);
    for (const part of gen.allocations) this.entry('reserve', this.grant(part.grantId), part.amount, gen, null);
  }

  /** Charges `units` of a reserved generation; what was held beyond that goes back (Rule 5). */
  complete(gen: Generation, units: number): void {
    const charge = gen.unitCredits * units;
    const { charged, released } = splitForCharge(gen.allocations, charge);
    for (const part of charged) this.entry('charge', this.grant(part.grantId), part.amount, gen, null);
    this.giveBack(released, gen, 'release', 'completed with fewer units');
    Object.assign(gen, { status: 'completed', chargedUnits: units, charged: charge, settledAt: this.now });
    this.touch(gen);
  }

  /** Returns every reserved credit to the grant it came from (Rules 6 and 7). */
  fail(gen: Generation, reason: string): void {
    this.giveBack(gen.allocations, gen, 'release', reason);
    Object.assign(gen, { status: 'failed', failureReason: reason, settledAt: this.now });
    this.touch(gen);
  }

  /** Gives back `amount` of what a completed generation was charged (Rule 11). */
  refund(gen: Generation, amount: number, reason: string): void {
    const { charged } = splitForCharge(gen.allocations, gen.charged);
    this.giveBack(planRefund(charged, gen.refunded, amount), gen, 'refund', reason);
    gen.refunded += amount;
    this.touch(gen);
  }

  /** Takes back what is left of a grant; credits held from it lapse when they return. */
  voidGrant(grant: Grant, reason: string): void {
    if (grant.remaining > 0) this.entry('void', grant, grant.remaining, null, reason);
    grant.voidedAt = this.now;
    grant.reason = grant.reason ? `${grant.reason}; voided: ${reason}` : `voided: ${reason}`;
    this.touchedGrants.add(grant.id);
  }

  extendHold(gen: Generation, holdUntil: number): void {
    gen.holdUntil = Math.max(gen.holdUntil, holdUntil);
    this.touch(gen);
  }

  /** What the store must write, with the answer to return now and to replay later. */
  finish<R>(result: R, idempotency?: Omit<IdempotencyRecord, 'createdAt' | 'response'> & { response?: unknown }): Decision<R> {
    const changes = this.changes;
    for (const id of this.touchedGrants) {
      const grant = this.grants.get(id)!;
      (this.newGrants.has(id) ? changes.insertGrants : changes.updateGrants).push(grant);
    }
    for (const id of this.newGrants) if (!this.touchedGrants.has(id)) changes.insertGrants.push(this.grants.get(id)!);
    for (const id of this.newGenerations) changes.insertGenerations.push(this.generations.get(id)!);
    for (const id of this.touchedGenerations) if (!this.newGenerations.has(id)) changes.updateGenerations.push(this.generations.get(id)!);
    if (idempotency) changes.idempotency = { ...idempotency, response: idempotency.response ?? result, createdAt: this.now };
    return { changes, result };
  }

  private giveBack(parts: readonly Allocation[], gen: Generation, type: 'release' | 'refund', reason: string): void {
    for (const outcome of planReturn(parts, this.grants, this.now)) {
      const grant = this.grant(outcome.grantId);
      this.entry(type, grant, outcome.amount, gen, reason);
      if (outcome.lapse === 'expired') this.entry('expire', grant, outcome.amount, gen, 'returned to an expired grant');
      if (outcome.lapse === 'voided') this.entry('void', grant, outcome.amount, gen, 'returned to a voided grant');
    }
  }

  private grant(id: string): Grant {
    const grant = this.grants.get(id);
    if (!grant) throw new Error(`grant ${id} is not loaded`);
    return grant;
  }

  private touch(gen: Generation): void {
    this.touchedGenerations.add(gen.id);
  }

  private entry(type: EntryType, grant: Grant, amount: number, gen: Generation | null, reason: string | null): void {
    if (amount <= 0) return;
    const deltas = entryDeltas(type, amount);
    grant.remaining += deltas.availableDelta;
    if (grant.remaining < 0) throw new Error(`grant ${grant.id} would go negative`);
    this.touchedGrants.add(grant.id);
    this.changes.ledger.push({
      customerId: this.customerId,
      type,
      grantId: grant.id,
      source: grant.source,
      generationId: gen?.id ?? null,
      toolId: gen?.toolId ?? null,
      amount,
      ...deltas,
      reason,
      createdAt: this.now,
    });
  }
}
