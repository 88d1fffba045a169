import { z } from 'zod';
import * as catalog from '../../service/catalog.js';
import { MAX_HOLD_SECONDS } from '../../service/generations.js';
import { MAX_REPORT_WINDOW_HOURS } from '../../domain/refunds.js';
import type { RouteDeps, ZodApp } from '../deps.js';
import { Credits, Id, RefundPolicyBody, ToolView, commonErrors, json, requestExample } from '../schemas.js';
import { view } from '../views.js';

export const PutToolBody = z.strictObject({
  name: z.string().trim().min(1).max(200),
  credits: Credits,
  unit: z.string().trim().min(1).max(40).optional(),
  description: z.string().max(2000).nullable().optional(),
  holdSeconds: z.number().int().min(1).max(MAX_HOLD_SECONDS).optional(),
  refundPolicy: RefundPolicyBody.nullable().optional(),
  reportWindowHours: z.number().int().min(0).max(MAX_REPORT_WINDOW_HOURS).optional(),
  active: z.boolean().optional(),
}).meta(requestExample({ name: 'Text to image', credits: 4, unit: 'image', description: 'One picture from a prompt.', refundPolicy: { safety_blocked: 0 }, reportWindowHours: 24 }));
export type PutToolBody = z.infer<typeof PutToolBody>;

/** Tools and their prices: what each generation costs. */
export function toolRoutes(app: ZodApp, { ctx }: RouteDeps): void {
  app.put('/v1/tools/:toolId', {
    schema: {
      tags: ['tools'],
      operationId: 'putTool',
      summary: 'Create or update a tool',
      description:
        'A generation with the tool costs `credits × units`; `unit` defaults to `generation`, `holdSeconds` (how long a reservation waits for complete or fail) to 900. `refundPolicy` gives, per failure reason, the percent of the cost a failure returns (credits returned = floor(cost × percent / 100), the rest charged); a reason it leaves out (or null) takes the configured policy (`PURSE_REFUND_POLICY`). `reportWindowHours` (default 24) is how long after completion a result may be reported bad. Both are fixed on a generation when it is reserved. A new price applies to generations reserved from now on; `active: false` hides the tool from the pricing and refuses new reservations.',
      params: z.object({ toolId: Id }),
      body: PutToolBody,
      response: { 200: json('The tool, updated', ToolView), 201: json('The tool, created', ToolView), ...commonErrors },
    },
    handler: async (req, reply) => {
      const { tool, created } = await catalog.putTool(ctx, req.params.toolId, req.body);
      return reply.code(created ? 201 : 200).send(view.tool(tool));
    },
  });

  app.get('/v1/tools', {
    schema: {
      tags: ['tools'],
      operationId: 'listTools',
      summary: 'List tools',
      description: 'Every tool, active or not.',
      response: { 200: json('The tools', z.object({ data: z.array(ToolView) })), ...commonErrors },
    },
    handler: async () => ({ data: (await catalog.listTools(ctx, { activeOnly: false })).map(view.tool) }),
  });

  app.get('/v1/tools/:toolId', {
    schema: {
      tags: ['tools'],
      operationId: 'getTool',
      summary: 'Get a tool',
      description: 'The tool and its current price.',
      params: z.object({ toolId: Id }),
      response: { 200: json('The tool', ToolView), ...commonErrors },
    },
    handler: async (req) => view.tool(await catalog.getTool(ctx, req.params.toolId)),
  });

  app.get('/v1/tools/:toolId/prices', {
    schema: {
      tags: ['tools'],
      operationId: 'listToolPrices',
      summary: "A tool's price history",
      description: 'Every price the tool has had and when it took effect; a generation keeps the price it was reserved at.',
      params: z.object({ toolId: Id }),
      response: {
        200: json('The prices, oldest first', z.object({ data: z.array(z.object({ credits: z.number().int(), unit: z.string(), effectiveAt: z.string().meta({ format: 'date-time' }) })) })),
        ...commonErrors,
      },
    },
    handler: async (req) => ({ data: (await catalog.toolPriceHistory(ctx, req.params.toolId)).map(view.toolPrice) }),
  });
}
