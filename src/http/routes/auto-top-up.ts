import { z } from 'zod';
import * as topUps from '../../service/auto-top-up.js';
import { assertCustomerAccess } from '../auth.js';
import type { RouteDeps, ZodApp } from '../deps.js';
import { AutoTopUpView, Id, commonErrors, json, requestExample } from '../schemas.js';
import { view } from '../views.js';

/** The most credits a threshold names, and the most packs one top-up buys. */
const MAX_THRESHOLD = 1_000_000_000;
const MAX_QUANTITY = 100;
/** The longest cooldown: a day. */
const MAX_COOLDOWN_SECONDS = 86_400;

export const AutoTopUpBody = z
  .strictObject({
    enabled: z.boolean(),
    threshold: z.number().int().min(1).max(MAX_THRESHOLD),
    packId: Id,
    quantity: z.number().int().min(1).max(MAX_QUANTITY).optional(),
    monthlyLimit: z
      .strictObject({ purchases: z.number().int().min(1).max(10_000).optional(), amount: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional() })
      .optional(),
    cooldownSeconds: z.number().int().min(0).max(MAX_COOLDOWN_SECONDS).optional(),
    reason: z.string().trim().min(1).max(500).optional(),
  })
  .meta(requestExample({ enabled: true, threshold: 100, packId: 'pack-500', quantity: 1, monthlyLimit: { purchases: 5, amount: 10000 }, reason: 'asked by the customer' }));
export type AutoTopUpBody = z.infer<typeof AutoTopUpBody>;

/** A customer's auto top-up: set by the operator, read by the operator or the customer's own session. */
export function autoTopUpRoutes(app: ZodApp, { ctx }: RouteDeps): void {
  const params = z.object({ customerId: Id });
  app.get('/v1/customers/:customerId/auto-top-up', {
    config: { access: 'customer' },
    schema: {
      tags: ['credits'],
      operationId: 'getAutoTopUp',
      summary: "A customer's auto top-up",
      description:
        "The settings, this UTC month's top-ups (`thisMonth.purchases`, `thisMonth.amount`) and the state: whether it is armed, failures in a row, the last top-up. `enabled: false` with null settings when none was ever set. A customer session may read its own.",
      params,
      response: { 200: json('The auto top-up', AutoTopUpView), ...commonErrors },
    },
    handler: async (req) => {
      assertCustomerAccess(req, req.params.customerId);
      const { autoTopUp } = await topUps.getAutoTopUp(ctx, req.params.customerId);
      return view.autoTopUp(req.params.customerId, autoTopUp, ctx.clock.now());
    },
  });
  app.put('/v1/customers/:customerId/auto-top-up', {
    schema: {
      tags: ['credits'],
      operationId: 'putAutoTopUp',
      summary: "Set a customer's auto top-up",
      description:
        'When a write leaves the available balance below `threshold`, Purse buys `quantity` × the pack, off the request path — once per crossing, at most `monthlyLimit` per UTC month, and not within `cooldownSeconds` (default 60) of the last top-up. Enabled while already below the threshold, it buys at once. Three failed top-ups in a row turn it off (`auto_top_up.disabled`).',
      params,
      body: AutoTopUpBody,
      response: { 200: json('The auto top-up as set', AutoTopUpView), ...commonErrors },
    },
    handler: async (req) => {
      const { autoTopUp } = await topUps.setAutoTopUp(ctx, req.params.customerId, req.body);
      return view.autoTopUp(req.params.customerId, autoTopUp, ctx.clock.now());
    },
  });
}
