import type { ServiceContext } from './context.js';
import { DAY_MS } from '../domain/time.js';


export interface DailyCredits {
  date: string;
  issued: number;
  spent: number;
  refunded: number;
  expired: number;
  voided: number;
}

type Totals = Omit<DailyCredits, 'date'>;

/**
 * Credits issued (grants), spent (charges), refunded, expired and voided per UTC
 * day in [from, to), every day present even when nothing moved.
 */
export async function creditsByDay(ctx: ServiceContext, from: number, to: number): Promise<{ days: DailyCredits[]; totals: Totals }> {
  const rows = await ctx.store.reportLedgerByDay(from, to);
  const byDay = new Map<number, DailyCredits>();
  for (let day = Math.floor(from / DAY_MS); day * DAY_MS < to; day++) {
    byDay.set(day, { date: new Date(day * DAY_MS).toISOString().slice(0, 10), issued: 0, spent: 0, refunded: 0, expired: 0, voided: 0 });
  }
  const column = { grant: 'issued', charge: 'spent', refund: 'refunded', expire: 'expired', void: 'voided' } as const;
  for (const r of rows) {
    const key = column[r.type as keyof typeof column];
    const line = byDay.get(r.day);
    if (key && line) line[key] += r.amount;
  }
  const days = [...byDay.values()];
  const totals: Totals = { issued: 0, spent: 0, refunded: 0, expired: 0, voided: 0 };
  for (const d of days) for (const k of Object.keys(totals) as (keyof Totals)[]) totals[k] += d[k];
  return { days, totals };
}

export interface ToolReport {
  toolId: string;
  name: string;
  generations: number;
  completed: number;
  failed: number;
  reserved: number;
  /** Failed among settled generations; null when none settled. */
  failureRate: number | null;
  creditsCharged: number;
  creditsRefunded: number;
}

/** Spend and failure rate per tool for generations started in [from, to). */
export async function toolsReport(ctx: ServiceContext, from: number, to: number): Promise<ToolReport[]> {
  const [rows, tools] = await Promise.all([ctx.store.reportGenerationsByTool(from, to), ctx.store.listTools()]);
  const byTool = new Map<string, ToolReport>();
  for (const r of rows) {
    const line =
      byTool.get(r.toolId) ??
      ({ toolId: r.toolId, name: tools.find((t) => t.id === r.toolId)?.name ?? r.toolId, generations: 0, completed: 0, failed: 0, reserved: 0, failureRate: null, creditsCharged: 0, creditsRefunded: 0 } as ToolReport);
    line.generations += r.count;
    line[r.status] += r.count;
    line.creditsCharged += r.charged;
    line.creditsRefunded += r.refunded;
    byTool.set(r.toolId, line);
  }
  for (const line of byTool.values()) {
    const settled = line.completed + line.failed;
    line.failureRate = settled === 0 ? null : line.failed / settled;
  }
  return [...byTool.values()].sort((a, b) => b.creditsCharged - a.creditsCharged || a.toolId.localeCompare(b.toolId));
}

/** What one team member spent from its team's pool (issue 15). */
export interface MemberSpend {
  customerId: string;
  memberId: string;
  name: string | null;
  generations: number;
  creditsCharged: number;
  creditsRefunded: number;
  /** Charged less refunded: what the member cost the team. */
  creditsSpent: number;
}

/** Spend per team member for generations started in [from, to), the biggest spenders first. */
export async function membersReport(ctx: ServiceContext, from: number, to: number): Promise<MemberSpend[]> {
  const rows = await ctx.store.reportSpendByMember(from, to);
  return rows
    .map((r) => ({ customerId: r.customerId, memberId: r.memberId, name: r.name, generations: r.generations, creditsCharged: r.charged, creditsRefunded: r.refunded, creditsSpent: r.charged - r.refunded }))
    .sort((a, b) => b.creditsSpent - a.creditsSpent || a.customerId.localeCompare(b.customerId) || a.memberId.localeCompare(b.memberId));
}

/** What the app still owes its users, by source, plus what running generations hold. */
export async function outstanding(ctx: ServiceContext) {
  const { bySource, reserved } = await ctx.store.reportOutstanding(ctx.clock.now());
  return { bySource, reserved, total: bySource.reduce((s, l) => s + l.available, 0) + reserved };
}

/** One UTC day of the books in money (Rule 19), in minor units of the report's currency. */
export interface RevenueDay {
  date: string;
  /** Money paid for grants made that day (packs bought, plan periods started). */
  paidIn: number;
  /** Revenue recognised: credits charged at their basis, less what refunds of charged credits reversed. */
  revenue: number;
  /** Of that, what refunds of charged credits reversed (already taken off `revenue`). */
  reversed: number;
  /** Deferred money given back by refunded purchases. */
  refunds: number;
  /** Paid credits that expired unused, or that an operator voided. */
  breakage: number;
  /** Paid credits not yet spent, at their basis, at the end of the day. */
  deferred: number;
}

type RevenueTotals = Omit<RevenueDay, 'date' | 'deferred'>;

/**
 * The books in money per UTC day in [from, to), every day present. For every
 * day: deferred(end) = deferred(start) + paidIn − revenue − refunds − breakage,
 * so over all time paid in = revenue + breakage + refunds + deferred.
 */
export async function revenueByDay(
  ctx: ServiceContext,
  from: number,
  to: number,
  currency: string,
): Promise<{ currency: string; openingDeferred: number; days: RevenueDay[]; totals: RevenueTotals & { deferred: number } }> {
  const rows = await ctx.store.reportMoneyByDay(from, to, currency);
  const byDay = new Map<number, RevenueDay>();
  for (let day = Math.floor(from / DAY_MS); day * DAY_MS < to; day++) {
    byDay.set(day, { date: new Date(day * DAY_MS).toISOString().slice(0, 10), paidIn: 0, revenue: 0, reversed: 0, refunds: 0, breakage: 0, deferred: 0 });
  }
  let openingDeferred = 0;
  for (const r of rows) {
    const sign = r.line === 'paidIn' ? 1 : -1;
    if (r.day === null) {
      openingDeferred += sign * r.money;
      continue;
    }
    const line = byDay.get(r.day);
    if (!line) continue;
    if (r.line === 'reversed') {
      line.revenue += r.money;
      line.reversed -= r.money;
    } else line[r.line] += r.money;
  }
  const days = [...byDay.values()];
  const totals = { paidIn: 0, revenue: 0, reversed: 0, refunds: 0, breakage: 0, deferred: openingDeferred };
  for (const d of days) {
    for (const k of ['paidIn', 'revenue', 'reversed', 'refunds', 'breakage'] as const) totals[k] += d[k];
    totals.deferred += d.paidIn - d.revenue - d.refunds - d.breakage;
    d.deferred = totals.deferred;
  }
  return { currency, openingDeferred, days, totals };
}

/** The revenue report as CSV: a header, then one line per day. */
export function revenueCsv(days: readonly RevenueDay[]): string {
  const columns = ['date', 'paidIn', 'revenue', 'reversed', 'refunds', 'breakage', 'deferred'] as const;
  return [columns.join(','), ...days.map((d) => columns.map((c) => d[c]).join(','))].join('\n') + '\n';
}
