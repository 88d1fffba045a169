import { effectiveLimits, hasLimits, windowBounds, windowStarts, type EffectiveLimits, type Limits, type SpendWindow } from '../domain/limits.js';
import type { ServiceContext } from './context.js';
import { catchUpIfDue, getCustomer } from './customers.js';
import { errors } from './errors.js';

/** Refuses a `tools` entry naming a tool that does not exist, naming the field (`tools.<id>`, behind `prefix`). */
export async function assertToolsExist(ctx: ServiceContext, limits: Limits | null | undefined, prefix = ''): Promise<void> {
  for (const toolId of Object.keys(limits?.tools ?? {})) {
    if (!(await ctx.store.getTool(toolId))) throw errors.invalid(`${prefix}tools.${toolId}`, `no tool ${toolId} exists`);
  }
}

/** Credits reserved in the current UTC day and month, net of what came back. */
export interface WindowUse {
  day: number;
  month: number;
}

/** A customer's limits as they apply now, with what is used of each window. */
export interface LimitsState {
  customerId: string;
  /** What the customer set itself (each field it leaves out is its plan's). */
  own: Limits | null;
  /** Why the customer's own limits were last set. */
  reason: string | null;
  /** The customer's active plan, whose limits fill in what it leaves out. */
  planId: string | null;
  effective: EffectiveLimits;
  used: WindowUse & { tools: Record<string, WindowUse> };
  inFlight: number;
  windows: { day: { start: number; end: number }; month: { start: number; end: number } };
  asOf: number;
}

/** A customer's limits now: its own, else its active plan's, and what is used of the current day and month. */
export async function getLimits(ctx: ServiceContext, customerId: string): Promise<LimitsState> {
  // Holds that ran out give their credits back (and their window use) before anything is read.
  await catchUpIfDue(ctx, customerId);
  const customer = await getCustomer(ctx, customerId);
  const now = ctx.clock.now();
  const sub = await ctx.store.getSubscription(customerId);
  const plan = sub && sub.status === 'active' ? await ctx.store.getPlan(sub.planId) : null;
  const starts = windowStarts(now);
  const rows = await ctx.store.readSpendWindows(customerId, [starts.day, starts.month]);
  const used: LimitsState['used'] = { day: 0, month: 0, tools: {} };
  const current = (w: SpendWindow) => w.windowStart === starts[w.window];
  for (const w of rows.filter(current)) {
    if (w.scope === 'customer') used[w.window] = w.used;
    else if (w.scope === 'tool') (used.tools[w.toolId] ??= { day: 0, month: 0 })[w.window] = w.used;
  }
  const effective = effectiveLimits(customer.limits, plan?.limits);
  for (const toolId of Object.keys(effective.tools)) used.tools[toolId] ??= { day: 0, month: 0 };
  return {
    customerId,
    own: customer.limits ?? null,
    reason: customer.limitsReason ?? null,
    planId: plan?.id ?? null,
    effective,
    used,
    inFlight: customer.inFlight ?? 0,
    windows: windowBounds(now),
    asOf: now,
  };
}

/**
 * Sets a customer's own limits, whole: what the body leaves out is taken from
 * its plan, field by field; `{}` clears them. Tools must exist.
 */
export async function putLimits(ctx: ServiceContext, customerId: string, input: Limits & { reason?: string }): Promise<LimitsState> {
  const { reason, ...limits } = input;
  await getCustomer(ctx, customerId);
  await assertToolsExist(ctx, limits);
  await ctx.store.setCustomerLimits(customerId, hasLimits(limits) ? limits : null, reason ?? null);
  return getLimits(ctx, customerId);
}
