import { z } from 'zod';
import * as alerts from '../../service/alerts.js';
import type { RouteDeps, ZodApp } from '../deps.js';
import { AlertsView, Id, commonErrors, json, requestExample } from '../schemas.js';

export const AlertsBody = z.strictObject({
  lowBalance: z.array(z.number().int().min(1).max(1_000_000_000)).max(alerts.MAX_THRESHOLDS).optional(),
  expiringSoonDays: z.number().int().min(0).max(365).optional(),
}).meta(requestExample({ lowBalance: [50, 10], expiringSoonDays: 7 }));

/** A customer's alert thresholds: when credits.low and credits.expiring_soon fire (Rule 15). */
export function alertRoutes(app: ZodApp, { ctx }: RouteDeps): void {
  const params = z.object({ customerId: Id });
  app.get('/v1/customers/:customerId/alerts', {
    schema: {
      tags: ['events'],
      operationId: 'getAlerts',
      summary: "A customer's alert settings, as they apply",
      description: 'The `lowBalance` thresholds that fire `credits.low` when the balance crosses down through one, and how many days ahead `credits.expiring_soon` announces expiring credits.',
      params,
      response: { 200: json('The settings in force', AlertsView), ...commonErrors },
    },
    handler: async (req) => alerts.getAlerts(ctx, req.params.customerId),
  });
  app.put('/v1/customers/:customerId/alerts', {
    schema: {
      tags: ['events'],
      operationId: 'putAlerts',
      summary: "Set a customer's alert settings",
      description: 'What is left out keeps its value; the configured defaults apply to what was never set.',
      params,
      body: AlertsBody,
      response: { 200: json('The settings in force', AlertsView), ...commonErrors },
    },
    handler: async (req) => alerts.putAlerts(ctx, req.params.customerId, req.body),
  });
}
