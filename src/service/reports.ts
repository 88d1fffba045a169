import type { ServiceContext } from './context.js';

const DAY_MS = 86_400_000;

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
