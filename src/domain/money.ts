import type { EntryType, Grant, Price } from './types.js';

/**
 * Books in money (Rule 19). Every grant carries `paid`, the money its credits
 * cost the customer in the currency's minor unit, and `consumed`, its credits
 * gone for good (charged and not refunded, expired, voided). The money of the
 * first k consumed credits is floor(paid × k ÷ amount): an entry that moves
 * consumed from k to k′ moves floor(paid × k′ ÷ amount) − floor(paid × k ÷ amount).
 * Rounding therefore never loses or invents a cent: once every credit is consumed
 * exactly `paid` has been recognised, and what is left is always
 * paid − floor(paid × consumed ÷ amount).
 *
 * @example moneyOfCredits(1000, 3, 1) // → 333; the second credit 333, the third 334
 */
export function moneyOfCredits(paid: number, amount: number, consumed: number): number {
  if (paid === 0 || consumed === 0) return 0;
  // BigInt: paid × consumed may pass 2^53 for large packs.
  return Number((BigInt(paid) * BigInt(consumed)) / BigInt(amount));
}

/** What each entry type does, per credit, to a grant's consumed credits. */
export const CONSUMED_EFFECT: Record<EntryType, -1 | 0 | 1> = {
  grant: 0,
  reserve: 0,
  release: 0,
  charge: 1,
  refund: -1,
  expire: 1,
  void: 1,
};

/** The lines of the money books; every entry that moves money moves it on exactly one. */
export const MONEY_LINES = ['paidIn', 'revenue', 'breakage', 'refunds'] as const;
export type MoneyLine = (typeof MONEY_LINES)[number];

/**
 * The line an entry of `type` on `grant` moves money on: a grant is paid in; a
 * charge recognises revenue and a refund of charged credits reverses it
 * (negative); expiry is breakage; a void is a refund when the grant's payment was
 * refunded, otherwise breakage (an operator took back credits the customer paid for).
 */
export function moneyLine(type: EntryType, grant: Pick<Grant, 'refunded'>): MoneyLine | null {
  switch (type) {
    case 'grant':
      return 'paidIn';
    case 'charge':
    case 'refund':
      return 'revenue';
    case 'expire':
      return 'breakage';
    case 'void':
      return grant.refunded ? 'refunds' : 'breakage';
    default:
      return null;
  }
}

/**
 * The money an entry of `type` and `credits` moves on its line, and the grant's
 * consumed credits after it. Signed: a refund of charged credits is negative revenue.
 */
export function entryMoney(grant: Pick<Grant, 'paid' | 'amount' | 'consumed'>, type: EntryType, credits: number): { money: number; consumed: number } {
  if (type === 'grant') return { money: grant.paid, consumed: grant.consumed };
  const consumed = grant.consumed + CONSUMED_EFFECT[type] * credits;
  return { money: moneyOfCredits(grant.paid, grant.amount, consumed) - moneyOfCredits(grant.paid, grant.amount, grant.consumed), consumed };
}

/** Paid credits not yet recognised: the grant's deferred revenue, at its basis. */
export function deferredMoney(grant: Pick<Grant, 'paid' | 'amount' | 'consumed'>): number {
  return grant.paid - moneyOfCredits(grant.paid, grant.amount, grant.consumed);
}

/** A new grant's money fields when it was bought at `price` (null: free credits); nothing consumed yet. */
export function paidWith(price: Price | null): Pick<Grant, 'paid' | 'currency' | 'consumed' | 'refunded'> {
  return { paid: price?.amount ?? 0, currency: price?.currency ?? null, consumed: 0, refunded: false };
}
