import { z } from 'zod';
import * as purchases from '../../service/purchases.js';
import { assertCustomerAccess } from '../auth.js';
import type { RouteDeps, ZodApp } from '../deps.js';
import { Id, IdempotencyHeaders, PageQuery, PurchaseView, Reason, commonErrors, errorResponse, json, paged, requestExample } from '../schemas.js';
import { view } from '../views.js';

export const PurchaseBody = z.strictObject({ packId: Id }).meta(requestExample({ packId: 'pack-100' }));
const RefundPurchaseBody = z.strictObject({ reason: Reason }).meta(requestExample({ reason: 'Charged twice by mistake' }));
const Params = z.object({ customerId: Id });

/** Buying packs: a customer's own session may buy for that customer. */
export function purchaseRoutes(app: ZodApp, { ctx }: RouteDeps): void {
  app.post('/v1/customers/:customerId/purchases', {
    config: { access: 'customer' },
    schema: {
      tags: ['purchases'],
      operationId: 'createPurchase',
      summary: 'Buy a pack',
      description:
        'The sandbox provider pays at once and the credits are added; Stripe answers with a `checkoutUrl` and adds them, exactly once, when the payment succeeds. A customer session may buy for its own customer. Retry with the same `Idempotency-Key`.',
      params: Params,
      headers: IdempotencyHeaders,
      body: PurchaseBody,
      response: { 201: json('The purchase: `paid` with its `grantId`, or `pending` with a `checkoutUrl`', PurchaseView), ...commonErrors },
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
    schema: {
      tags: ['purchases'],
      operationId: 'listPurchases',
      summary: "A customer's purchases, newest first",
      description: 'Pass `nextCursor` as `cursor` for the next page. A customer session may read its own.',
      params: Params,
      querystring: PageQuery,
      response: { 200: json('A page of purchases', paged(PurchaseView)), ...commonErrors },
    },
    handler: async (req) => {
      assertCustomerAccess(req, req.params.customerId);
      const page = await purchases.listPurchases(ctx, req.params.customerId, { cursor: req.query.cursor, limit: req.query.limit });
      return { data: page.data.map(view.purchase), nextCursor: page.nextCursor };
    },
  });
  app.get('/v1/purchases/:purchaseId', {
    config: { access: 'customer' },
    schema: {
      tags: ['purchases'],
      operationId: 'getPurchase',
      summary: 'A purchase',
      description: "Its status and, once paid, the grant it added. A customer session may read its own customer's.",
      params: z.object({ purchaseId: Id }),
      response: { 200: json('The purchase', PurchaseView), ...commonErrors },
    },
    handler: async (req) => view.purchase(await purchases.getPurchase(ctx, req.params.purchaseId, (c) => assertCustomerAccess(req, c))),
  });
  app.post('/v1/purchases/:purchaseId/refund', {
    schema: {
      tags: ['purchases'],
      operationId: 'refundPurchase',
      summary: 'Refund a sandbox purchase',
      description: 'Takes back what is left of the purchase\'s credits. Stripe purchases are refunded in Stripe; its charge.refunded event does the same.',
      params: z.object({ purchaseId: Id }),
      body: RefundPurchaseBody,
      response: {
        200: json('The purchase, `refunded`', PurchaseView),
        ...commonErrors,
        409: errorResponse('`invalid_state`: the purchase is not a paid sandbox purchase'),
      },
    },
    handler: async (req) => view.purchase(await purchases.refundPurchase(ctx, req.params.purchaseId, req.body.reason)),
  });
}
