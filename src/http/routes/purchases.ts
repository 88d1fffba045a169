import { z } from 'zod';
import * as purchases from '../../service/purchases.js';
import { assertCustomerAccess } from '../auth.js';
import type { RouteDeps, ZodApp } from '../deps.js';
import { Id, IdempotencyHeaders, PageQuery, PurchaseView, Reason, commonErrors, paged } from '../schemas.js';
import { view } from '../views.js';

export const PurchaseBody = z.strictObject({ packId: Id });
const Params = z.object({ customerId: Id });

/** Buying packs: a customer's own session may buy for that customer. */
export function purchaseRoutes(app: ZodApp, { ctx }: RouteDeps): void {
  app.post('/v1/customers/:customerId/purchases', {
    config: { access: 'customer' },
    schema: {
      tags: ['purchases'],
      summary: 'Buy a pack',
      description: 'The sandbox provider pays at once and the credits are added; Stripe answers with a checkoutUrl and adds them when the payment succeeds.',
      params: Params,
      headers: IdempotencyHeaders,
      body: PurchaseBody,
      response: { 201: PurchaseView, ...commonErrors },
    },
    handler: async (req, reply) => {
      assertCustomerAccess(req, req.params.customerId);
      const answer = await purchases.buyPack(ctx, req.params.customerId, req.body.packId, req.headers['idempotency-key']);
      if (answer.replayed) reply.header('idempotent-replayed', 'true');
      return reply.code(answer.statusCode).send(view.purchase(answer.body));
    },
  });
  app.get('/v1/customers/:customerId/purchases', {
    config: { access: 'customer' },
    schema: { tags: ['purchases'], summary: "A customer's purchases, newest first", params: Params, querystring: PageQuery, response: { 200: paged(PurchaseView), ...commonErrors } },
    handler: async (req) => {
      assertCustomerAccess(req, req.params.customerId);
      const page = await purchases.listPurchases(ctx, req.params.customerId, { cursor: req.query.cursor, limit: req.query.limit });
      return { data: page.data.map(view.purchase), nextCursor: page.nextCursor };
    },
  });
  app.get('/v1/purchases/:purchaseId', {
    config: { access: 'customer' },
    schema: { tags: ['purchases'], summary: 'A purchase', params: z.object({ purchaseId: Id }), response: { 200: PurchaseView, ...commonErrors } },
    handler: async (req) => view.purchase(await purchases.getPurchase(ctx, req.params.purchaseId, (c) => assertCustomerAccess(req, c))),
  });
  app.post('/v1/purchases/:purchaseId/refund', {
    schema: {
      tags: ['purchases'],
      summary: 'Refund a sandbox purchase',
      description: 'Takes back what is left of the purchase\'s credits. Stripe purchases are refunded in Stripe; its charge.refunded event does the same.',
      params: z.object({ purchaseId: Id }),
      body: z.strictObject({ reason: Reason }),
      response: { 200: PurchaseView, ...commonErrors, 409: commonErrors[400] },
    },
    handler: async (req) => view.purchase(await purchases.refundPurchase(ctx, req.params.purchaseId, req.body.reason)),
  });
}
