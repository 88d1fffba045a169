import type { Tool, ToolPrice } from '../domain/types.js';
import { DEFAULT_REPORT_WINDOW_HOURS, type RefundPolicyOverride } from '../domain/refunds.js';
import type { ServiceContext } from './context.js';
import { errors } from './errors.js';

/** How long a reservation holds its credits when the tool does not say (Rule 7). */
export const DEFAULT_HOLD_SECONDS = 15 * 60;

export interface ToolInput {
  name: string;
  credits: number;
  unit?: string;
  description?: string | null;
  holdSeconds?: number;
  /** Percent of the cost a failure gives back, per reason; a reason left out takes the configured policy. */
  refundPolicy?: RefundPolicyOverride | null;
  reportWindowHours?: number;
  active?: boolean;
}

/** Creates or updates a tool. A new price applies to generations reserved from now on (Rule 3). */
export async function putTool(ctx: ServiceContext, id: string, input: ToolInput): Promise<{ tool: Tool; created: boolean }> {
  const before = await ctx.store.getTool(id);
  const tool = await ctx.store.putTool(toolFromInput(id, input, before, ctx.clock.now()));
  return { tool, created: before === null };
}

/** The tool `input` makes of `before` (or a new one), with the defaults: what putTool stores and the catalog diff compares. */
export function toolFromInput(id: string, input: ToolInput, before: Tool | null, now: number): Tool {
  return {
    id,
    name: input.name,
    credits: input.credits,
    unit: input.unit ?? 'generation',
    description: input.description ?? null,
    holdSeconds: input.holdSeconds ?? DEFAULT_HOLD_SECONDS,
    refundPolicy: input.refundPolicy && Object.keys(input.refundPolicy).length > 0 ? input.refundPolicy : null,
    reportWindowHours: input.reportWindowHours ?? DEFAULT_REPORT_WINDOW_HOURS,
    active: input.active ?? true,
    createdAt: before?.createdAt ?? now,
    updatedAt: now,
  };
}

export async function getTool(ctx: ServiceContext, id: string): Promise<Tool> {
  const tool = await ctx.store.getTool(id);
  if (!tool) throw errors.notFound('tool', id);
  return tool;
}

export async function listTools(ctx: ServiceContext, opts: { activeOnly: boolean }): Promise<Tool[]> {
  const tools = await ctx.store.listTools();
  return opts.activeOnly ? tools.filter((t) => t.active) : tools;
}

export async function toolPriceHistory(ctx: ServiceContext, id: string): Promise<ToolPrice[]> {
  await getTool(ctx, id);
  return ctx.store.toolPrices(id);
}
