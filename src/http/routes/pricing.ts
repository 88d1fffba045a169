import { z } from 'zod';
import * as catalog from '../../service/catalog.js';
import type { RouteDeps, ZodApp } from '../deps.js';
import { json } from '../schemas.js';

export const PricingView = z
  .object({
    plans: z.array(
      z.object({ id: z.string(), name: z.string(), creditsPerPeriod: z.number().int(), period: z.string(), price: z.object({ amount: z.number().int(), currency: z.string() }), rollover: z.object({ max: z.number().int() }), description: z.string().nullable() }),
    ),
    packs: z.array(
      z.object({ id: z.string(), name: z.string(), credits: z.number().int(), price: z.object({ amount: z.number().int(), currency: z.string() }), expiresInDays: z.number().int().nullable(), description: z.string().nullable() }),
    ),
    tools: z.array(z.object({ id: z.string(), name: z.string(), credits: z.number().int(), unit: z.string(), description: z.string().nullable() })),
  })
  .meta({ id: 'Pricing' });

/** Public: what an app's pricing page shows — active plans, packs and tools with their costs. */
export function pricingRoutes(app: ZodApp, { ctx }: RouteDeps): void {
  app.get('/v1/pricing', {
    config: { access: 'public' },
    schema: {
      tags: ['pricing'],
      operationId: 'getPricing',
      summary: 'Active plans, packs and tools with their costs',
      description: 'Public, no key needed: what an app\'s pricing page shows.',
      security: [],
      response: { 200: json('The price list', PricingView) },
    },
    handler: async () => ({
      plans: (await ctx.store.listPlans())
        .filter((p) => p.active)
        .map(({ id, name, creditsPerPeriod, period, price, rolloverMax, description }) => ({ id, name, creditsPerPeriod, period, price, rollover: { max: rolloverMax }, description })),
      packs: (await ctx.store.listPacks())
        .filter((p) => p.active)
        .map(({ id, name, credits, price, expiresInDays, description }) => ({ id, name, credits, price, expiresInDays, description })),
      tools: (await catalog.listTools(ctx, { activeOnly: true })).map((t) => ({
        id: t.id,
        name: t.name,
        credits: t.credits,
        unit: t.unit,
        description: t.description,
      })),
    }),
  });
}
