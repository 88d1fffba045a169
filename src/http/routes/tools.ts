import { z } from 'zod';
import * as catalog from '../../service/catalog.js';
import { MAX_HOLD_SECONDS } from '../../service/generations.js';
import type { RouteDeps, ZodApp } from '../deps.js';
import { Credits, Id, ToolView, commonErrors } from '../schemas.js';
import { view } from '../views.js';

export const PutToolBody = z.strictObject({
  name: z.string().trim().min(1).max(200),
  credits: Credits,
  unit: z.string().trim().min(1).max(40).optional(),
  description: z.string().max(2000).nullable().optional(),
  holdSeconds: z.number().int().min(1).max(MAX_HOLD_SECONDS).optional(),
  active: z.boolean().optional(),
});
export type PutToolBody = z.infer<typeof PutToolBody>;

/** Tools and their prices: what each generation costs. */
export function toolRoutes(app: ZodApp, { ctx }: RouteDeps): void {
  app.put('/v1/tools/:toolId', {
    schema: {
      tags: ['tools'],
      summary: 'Create or update a tool',
      params: z.object({ toolId: Id }),
      body: PutToolBody,
      response: { 200: ToolView, 201: ToolView, ...commonErrors },
    },
    handler: async (req, reply) => {
      const { tool, created } = await catalog.putTool(ctx, req.params.toolId, req.body);
      return reply.code(created ? 201 : 200).send(view.tool(tool));
    },
  });

  app.get('/v1/tools', {
    schema: { tags: ['tools'], summary: 'List tools', response: { 200: z.object({ data: z.array(ToolView) }), ...commonErrors } },
    handler: async () => ({ data: (await catalog.listTools(ctx, { activeOnly: false })).map(view.tool) }),
  });

  app.get('/v1/tools/:toolId', {
    schema: { tags: ['tools'], summary: 'Get a tool', params: z.object({ toolId: Id }), response: { 200: ToolView, ...commonErrors } },
    handler: async (req) => view.tool(await catalog.getTool(ctx, req.params.toolId)),
  });

  app.get('/v1/tools/:toolId/prices', {
    schema: {
      tags: ['tools'],
      summary: "A tool's price history",
      params: z.object({ toolId: Id }),
      response: { 200: z.object({ data: z.array(z.object({ credits: z.number().int(), unit: z.string(), effectiveAt: z.string() })) }), ...commonErrors },
    },
    handler: async (req) => ({ data: (await catalog.toolPriceHistory(ctx, req.params.toolId)).map(view.toolPrice) }),
  });
}
