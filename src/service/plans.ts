import type { Period } from '../domain/periods.js';
import type { Pack, Plan, Price } from '../domain/types.js';
import type { ServiceContext } from './context.js';
import { errors } from './errors.js';
import { hasLimits, type Limits } from '../domain/limits.js';
import { assertToolsExist } from './limits.js';

export interface PlanInput {
  name: string;
  creditsPerPeriod: number;
  period?: Period;
  price: Price;
  rollover?: { max: number };
  limits?: Limits | null;
  /** Free retries each period: 0 (the default) none, null unlimited. */
  freeRetriesPerPeriod?: number | null;
  /** Reports of a bad result each UTC day: null (the default) unlimited. */
  maxReportsPerDay?: number | null;
  description?: string | null;
  active?: boolean;
}

/** Creates or updates a plan. Subscribers get the new allocation from their next period on. */
export async function putPlan(ctx: ServiceContext, id: string, input: PlanInput): Promise<{ plan: Plan; created: boolean }> {
  const before = await ctx.store.getPlan(id);
  if (before && input.period && input.period !== before.period) {
    throw errors.invalid('period', 'a plan keeps its period; create a new plan for another period');
  }
  await assertToolsExist(ctx, input.limits, 'limits.');
  const plan = await ctx.store.putPlan(planFromInput(id, input, before, ctx.clock.now()));
  return { plan, created: before === null };
}

/** The plan `input` makes of `before` (or a new one), with the defaults: what putPlan stores and the catalog diff compares. */
export function planFromInput(id: string, input: PlanInput, before: Plan | null, now: number): Plan {
  return {
    id,
    name: input.name,
    creditsPerPeriod: input.creditsPerPeriod,
    period: input.period ?? before?.period ?? 'month',
    price: input.price,
    rolloverMax: input.rollover?.max ?? 0,
    limits: hasLimits(input.limits) ? input.limits! : null,
    freeRetriesPerPeriod: input.freeRetriesPerPeriod === undefined ? 0 : input.freeRetriesPerPeriod,
    maxReportsPerDay: input.maxReportsPerDay ?? null,
    description: input.description ?? null,
    active: input.active ?? true,
    createdAt: before?.createdAt ?? now,
    updatedAt: now,
  };
}

export interface PackInput {
  name: string;
  credits: number;
  price: Price;
  expiresInDays?: number | null;
  description?: string | null;
  active?: boolean;
}

/** Creates or updates a pack. Purchases already made keep what they bought. */
export async function putPack(ctx: ServiceContext, id: string, input: PackInput): Promise<{ pack: Pack; created: boolean }> {
  const before = await ctx.store.getPack(id);
  const pack = await ctx.store.putPack(packFromInput(id, input, before, ctx.clock.now()));
  return { pack, created: before === null };
}

/** The pack `input` makes of `before` (or a new one), with the defaults: what putPack stores and the catalog diff compares. */
export function packFromInput(id: string, input: PackInput, before: Pack | null, now: number): Pack {
  return {
    id,
    name: input.name,
    credits: input.credits,
    price: input.price,
    expiresInDays: input.expiresInDays ?? null,
    description: input.description ?? null,
    active: input.active ?? true,
    createdAt: before?.createdAt ?? now,
    updatedAt: now,
  };
}

export async function getPlan(ctx: ServiceContext, id: string): Promise<Plan> {
  const plan = await ctx.store.getPlan(id);
  if (!plan) throw errors.notFound('plan', id);
  return plan;
}

export async function getPack(ctx: ServiceContext, id: string): Promise<Pack> {
  const pack = await ctx.store.getPack(id);
  if (!pack) throw errors.notFound('pack', id);
  return pack;
}
