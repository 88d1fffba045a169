import { DAY_MS } from '../domain/time.js';
import { summarizeBalance, type BreakdownLine } from '../domain/balance.js';
import { hasExpired } from '../domain/consumption.js';
import type { Customer, LedgerEntry, Subscription } from '../domain/types.js';
import { alertSettings, DEFAULT_ALERTS } from './alerts.js';
import type { ServiceContext } from './context.js';
import { errors } from './errors.js';
import { begin } from './generations.js';
import { assertCursor, readPage } from './paging.js';
import { decodeLedgerCursor } from '../store/cursor.js';
import { isPeriodDue } from '../domain/periods.js';

export interface CustomerInput {
  name?: string | null;
  email?: string | null;
  metadata?: Record<string, unknown> | null;
}

/** Creates or updates a customer, named by the app's own id. */
export async function putCustomer(ctx: ServiceContext, id: string, input: CustomerInput): Promise<{ customer: Customer; created: boolean }> {
  const now = ctx.clock.now();
  const before = await ctx.store.getCustomer(id);
  const customer = await ctx.store.putCustomer({
    id,
    name: input.name === undefined ? (before?.name ?? null) : input.name,
    email: input.email === undefined ? (before?.email ?? null) : input.email,
    metadata: input.metadata === undefined ? (before?.metadata ?? null) : input.metadata,
    createdAt: before?.createdAt ?? now,
    updatedAt: now,
  });
  return { customer, created: before === null };
}

export async function getCustomer(ctx: ServiceContext, id: string): Promise<Customer> {
  const customer = await ctx.store.getCustomer(id);
  if (!customer) throw errors.notFound('customer', id);
  return customer;
}

export interface Balance {
  customerId: string;
  available: number;
  reserved: number;
  breakdown: BreakdownLine[];
  /** The subscription while it is active (or waiting for its first payment). */
  subscription: Subscription | null;
  /** The credits that expire first, when that is within the customer's announcement window. */
  expiringSoon: { credits: number; expiresAt: number } | null;
  asOf: number;
}

/** The first expiry among the breakdown's lines, with every credit that lapses then, if within `days`. */
function soonestExpiry(lines: readonly BreakdownLine[], now: number, days: number): Balance['expiringSoon'] {
  const dated = lines.filter((l): l is BreakdownLine & { expiresAt: number } => l.expiresAt !== null && l.expiresAt > now);
  if (dated.length === 0 || days <= 0) return null;
  const first = Math.min(...dated.map((l) => l.expiresAt));
  if (first - now > days * DAY_MS) return null;
  return { credits: dated.filter((l) => l.expiresAt === first).reduce((sum, l) => sum + l.available, 0), expiresAt: first };
}

/** Something time has made due for this customer: a hold ran out, a grant expired, a period ended. */
function isDue(view: { grants: { expiresAt: number | null }[]; holdsDue: boolean; subscription: Subscription | null }, now: number): boolean {
  const sub = view.subscription;
  return (
    view.holdsDue ||
    view.grants.some((g) => hasExpired(g, now)) ||
    isPeriodDue(sub, now)
  );
}

/** What a customer can spend now, what running generations hold, and where it comes from. */
export async function getBalance(ctx: ServiceContext, customerId: string): Promise<Balance> {
  const customer = await getCustomer(ctx, customerId);
  const now = ctx.clock.now();
  let view = await ctx.store.readBalance(customerId, now);
  if (isDue(view, now)) {
    await catchUpCustomer(ctx, customerId, now);
    view = await ctx.store.readBalance(customerId, now);
  }
  const { available, breakdown } = summarizeBalance(view.grants, now);
  const subscription = view.subscription && view.subscription.status !== 'canceled' ? view.subscription : null;
  const expiringSoon = soonestExpiry(breakdown, now, alertSettings(customer, ctx.alerts ?? DEFAULT_ALERTS).expiringSoonDays);
  return { customerId, available, reserved: view.reserved, breakdown, subscription, expiringSoon, asOf: now };
}

/** Ledger entries, newest first, paged by the id of the last one seen. */
/** A customer's ledger, newest first; only the entries naming one team member when `memberId` is given. */
export async function getLedger(ctx: ServiceContext, customerId: string, page: { cursor?: string; limit: number }, memberId?: string) {
  assertCursor(page.cursor, decodeLedgerCursor);
  await getCustomer(ctx, customerId);
  await catchUpIfDue(ctx, customerId);
  return readPage(page, decodeLedgerCursor, (p) => ctx.store.listLedger(customerId, p, memberId), (e: LedgerEntry) => String(e.id));
}

/** Fails holds that ran out and expires grants, for one customer (Rule 7). */
export async function catchUpCustomer(ctx: ServiceContext, customerId: string, now = ctx.clock.now()): Promise<void> {
  await ctx.store.transact(customerId, { now }, (snapshot) => begin(snapshot, customerId, now, ctx.alerts).finish(undefined));
}

/** Catches a customer up when time has made something due (a read's first step). */
export async function catchUpIfDue(ctx: ServiceContext, customerId: string): Promise<void> {
  const now = ctx.clock.now();
  const view = await ctx.store.readBalance(customerId, now);
  if (isDue(view, now)) await catchUpCustomer(ctx, customerId, now);
}
