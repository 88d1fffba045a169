import { z } from 'zod';
import * as plans from '../../service/plans.js';
import type { RouteDeps, ZodApp } from '../deps.js';
import { Id, Money, PackPrice, PackView, PlanView, PositiveCredits, commonErrors } from '../schemas.js';
import { view } from '../views.js';

export const PutPlanBody = z.strictObject({
  name: z.string().trim().min(1).max(200),
  creditsPerPeriod: z.number().int().min(0).max(1_000_000_000),
  period: z.enum(['day', 'week', 'month', 'year']).optional(),
  price: Money,
  rollover: z.strictObject({ max: z.number().int().min(0).max(1_000_000_000) }).optional(),
  description: z.string().max(2000).nullable().optional(),
  active: z.boolean().optional(),
});
export type PutPlanBody = z.infer<typeof PutPlanBody>;

export const PutPackBody = z.strictObject({
  name: z.string().trim().min(1).max(200),
  credits: PositiveCredits,
  price: PackPrice,
  expiresInDays: z.number().int().min(1).max(36_500).nullable().optional(),
  description: z.string().max(2000).nullable().optional(),
  active: z.boolean().optional(),
});
export type PutPackBody = z.infer<typeof PutPackBody>;

/** Plans (monthly allocations) and packs (add-on credits). */
export function planRoutes(app: ZodApp, { ctx }: RouteDeps): void {
  app.put('/v1/plans/:planId', {
    schema: {
      tags: ['plans'],
      summary: 'Create or update a plan',
      params: z.object({ planId: Id }),
      body: PutPlanBody,
      response: { 200: PlanView, 201: PlanView, ...commonErrors },
    },
    handler: async (req, reply) => {
      const { plan, created } = await plans.putPlan(ctx, req.params.planId, req.body);
      return reply.code(created ? 201 : 200).send(view.plan(plan));
    },
  });
  app.get('/v1/plans', {
    schema: { tags: ['plans'], summary: 'List plans', response: { 200: z.object({ data: z.array(PlanView) }), ...commonErrors } },
    handler: async () => ({ data: (await ctx.store.listPlans()).map(view.plan) }),
  });
  app.put('/v1/packs/:packId', {
    schema: {
      tags: ['packs'],
      summary: 'Create or update a pack',
      params: z.object({ packId: Id }),
      body: PutPackBody,
      response: { 200: PackView, 201: PackView, ...commonErrors },
    },
    handler: async (req, reply) => {
      const { pack, created } = await plans.putPack(ctx, req.params.packId, req.body);
      return reply.code(created ? 201 : 200).send(view.pack(pack));
    },
  });
  app.get('/v1/packs', {
    schema: { tags: ['packs'], summary: 'List packs', response: { 200: z.object({ data: z.array(PackView) }), ...commonErrors } },
    handler: async () => ({ data: (await ctx.store.listPacks()).map(view.pack) }),
  });
}
