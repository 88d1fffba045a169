import { z } from 'zod';
import * as limits from '../../service/limits.js';
import { assertCustomerAccess } from '../auth.js';
import type { RouteDeps, ZodApp } from '../deps.js';
import { Id, LimitsBody, LimitsView, Reason, commonErrors, json, requestExample } from '../schemas.js';
import { view } from '../views.js';

export const PutLimitsBody = z
  .strictObject({ ...LimitsBody.shape, reason: Reason.optional().meta({ description: 'Why they are set, kept with them (the console asks for one)' }) })
  .meta(requestExample({ daily: 200, monthly: 3000, tools: { 'text-to-video': { daily: 50 } }, maxInFlight: 4, reason: 'agreed with finance' }));
export type PutLimitsBody = z.infer<typeof PutLimitsBody>;

/** A customer's spend limits and in-flight cap (Rule 16), and what is used of them. */
export function limitRoutes(app: ZodApp, { ctx }: RouteDeps): void {
  const params = z.object({ customerId: Id });
  app.get('/v1/customers/:customerId/limits', {
    config: { access: 'customer' },
    schema: {
      tags: ['customers'],
      operationId: 'getLimits',
      summary: "A customer's spend limits, as they apply, with what is used",
      description:
        "Each limit in force — the customer's own, else its active plan's, field by field — with where it came from, the credits reserved in the current UTC day and month (in total and per tool, net of credits that came back) and the generations held now. A customer session may read its own.",
      params,
      response: { 200: json('The limits in force and their use', LimitsView), ...commonErrors },
    },
    handler: async (req) => {
      assertCustomerAccess(req, req.params.customerId);
      return view.limits(await limits.getLimits(ctx, req.params.customerId));
    },
  });
  app.put('/v1/customers/:customerId/limits', {
    schema: {
      tags: ['customers'],
      operationId: 'putLimits',
      summary: "Set a customer's own spend limits",
      description:
        "Replaces the customer's own limits whole: `daily` and `monthly` cap the credits reserved per UTC calendar day and month, `tools` does so per tool, `maxInFlight` caps the generations held at once. Each field left out is its plan's, if the plan sets it; `{}` clears the customer's own. Tool ids in `tools` must exist.",
      params,
      body: PutLimitsBody,
      response: { 200: json('The limits in force and their use', LimitsView), ...commonErrors },
    },
    handler: async (req) => view.limits(await limits.putLimits(ctx, req.params.customerId, req.body)),
  });
}
