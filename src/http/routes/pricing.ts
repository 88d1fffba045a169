import { z } from 'zod';
import * as catalog from '../../service/catalog.js';
import type { RouteDeps, ZodApp } from '../deps.js';

export const PricingView = z
  .object({
    plans: z.array(z.unknown()),
    packs: z.array(z.unknown()),
    tools: z.array(z.object({ id: z.string(), name: z.string(), credits: z.number().int(), unit: z.string(), description: z.string().nullable() })),
  })
  .meta({ id: 'Pricing' });

/** Public: what an app's pricing page shows. Plans and packs arrive with billing. */
export function pricingRoutes(app: ZodApp, { ctx }: RouteDeps): void {
  app.get('/v1/pricing', {
    config: { access: 'public' },
    schema: { tags: ['pricing'], summary: 'Active plans, packs and tools with their costs', security: [], response: { 200: PricingView } },
    handler: async () => ({
      plans: [],
      packs: [],
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
