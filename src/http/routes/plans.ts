import { z } from 'zod';
import { PERIODS } from '../../domain/periods.js';
import * as plans from '../../service/plans.js';
import type { RouteDeps, ZodApp } from '../deps.js';
import { Id, LimitsBody, Money, PackPrice, PackView, PlanView, PositiveCredits, commonErrors, json, requestExample } from '../schemas.js';
import { view } from '../views.js';

export const PutPlanBody = z.strictObject({
  name: z.string().trim().min(1).max(200),
  creditsPerPeriod: z.number().int().min(0).max(1_000_000_000),
  period: z.enum(PERIODS).optional(),
  price: Money,
  rollover: z.strictObject({ max: z.number().int().min(0).max(1_000_000_000) }).optional(),
  limits: LimitsBody.nullable().optional(),
  freeRetriesPerPeriod: z.number().int().min(0).max(1_000_000).nullable().optional(),
  maxReportsPerDay: z.number().int().min(0).max(1_000_000).nullable().optional(),
  description: z.string().max(2000).nullable().optional(),
  active: z.boolean().optional(),
}).meta(requestExample({ name: 'Pro', creditsPerPeriod: 500, price: { amount: 2900, currency: 'usd' }, rollover: { max: 100 }, freeRetriesPerPeriod: 4, maxReportsPerDay: 10 }));
export type PutPlanBody = z.infer<typeof PutPlanBody>;

export const PutPackBody = z.strictObject({
  name: z.string().trim().min(1).max(200),
  credits: PositiveCredits,
  price: PackPrice,
  expiresInDays: z.number().int().min(1).max(36_500).nullable().optional(),
  description: z.string().max(2000).nullable().optional(),
  active: z.boolean().optional(),
}).meta(requestExample({ name: '100 credits', credits: 100, price: { amount: 1000, currency: 'usd' } }));
export type PutPackBody = z.infer<typeof PutPackBody>;

/** Plans (monthly allocations) and packs (add-on credits). */
export function planRoutes(app: ZodApp, { ctx }: RouteDeps): void {
  app.put('/v1/plans/:planId', {
    schema: {
      tags: ['plans'],
      operationId: 'putPlan',
      summary: 'Create or update a plan',
      description:
        'A subscribed customer gets `creditsPerPeriod` at the start of every `period` (`month` by default); unused plan credits expire at its end except up to `rollover.max` (default 0). `price` is in the currency\'s minor unit. `limits` are the spend limits of every active subscriber, field by field under the customer\'s own; a tool id in `limits.tools` must exist. `freeRetriesPerPeriod` (0 by default: none; null: unlimited) is how many failed or reported generations a subscriber may retry free each period; `maxReportsPerDay` (null by default: unlimited) how many results it may report bad each UTC day.',
      params: z.object({ planId: Id }),
      body: PutPlanBody,
      response: { 200: json('The plan, updated', PlanView), 201: json('The plan, created', PlanView), ...commonErrors },
    },
    handler: async (req, reply) => {
      const { plan, created } = await plans.putPlan(ctx, req.params.planId, req.body);
      return reply.code(created ? 201 : 200).send(view.plan(plan));
    },
  });
  app.get('/v1/plans', {
    schema: {
      tags: ['plans'],
      operationId: 'listPlans',
      summary: 'List plans',
      description: 'Every plan, active or not.',
      response: { 200: json('The plans', z.object({ data: z.array(PlanView) })), ...commonErrors },
    },
    handler: async () => ({ data: (await ctx.store.listPlans()).map(view.plan) }),
  });
  app.put('/v1/packs/:packId', {
    schema: {
      tags: ['packs'],
      operationId: 'putPack',
      summary: 'Create or update a pack',
      description: 'Buying the pack adds an `addon` grant of `credits`; they never expire unless `expiresInDays` says so. `price` is in the currency\'s minor unit.',
      params: z.object({ packId: Id }),
      body: PutPackBody,
      response: { 200: json('The pack, updated', PackView), 201: json('The pack, created', PackView), ...commonErrors },
    },
    handler: async (req, reply) => {
      const { pack, created } = await plans.putPack(ctx, req.params.packId, req.body);
      return reply.code(created ? 201 : 200).send(view.pack(pack));
    },
  });
  app.get('/v1/packs', {
    schema: {
      tags: ['packs'],
      operationId: 'listPacks',
      summary: 'List packs',
      description: 'Every pack, active or not.',
      response: { 200: json('The packs', z.object({ data: z.array(PackView) })), ...commonErrors },
    },
    handler: async () => ({ data: (await ctx.store.listPacks()).map(view.pack) }),
  });
}
