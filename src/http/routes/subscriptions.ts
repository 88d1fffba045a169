import { z } from 'zod';
import * as subscriptions from '../../service/subscriptions.js';
import type { RouteDeps, ZodApp } from '../deps.js';
import { Id, Reason, SubscriptionView, commonErrors } from '../schemas.js';
import { view } from '../views.js';

export const PutSubscriptionBody = z.strictObject({ planId: Id, reason: Reason.optional() });
const CancelBody = z.strictObject({ reason: Reason.optional() }).nullish();
const Params = z.object({ customerId: Id });

/** A customer's subscription: subscribe, change plan, cancel at period end. */
export function subscriptionRoutes(app: ZodApp, { ctx }: RouteDeps): void {
  app.put('/v1/customers/:customerId/subscription', {
    schema: {
      tags: ['subscriptions'],
      summary: 'Subscribe or change plan',
      description:
        'A new subscription or an upgrade starts a period of the plan now; a downgrade takes effect at the end of the current period; naming the current plan resumes a pending cancellation or change.',
      params: Params,
      body: PutSubscriptionBody,
      response: {
        200: SubscriptionView.extend({ checkoutUrl: z.string().nullable(), effect: z.string() }),
        ...commonErrors,
      },
    },
    handler: async (req) => {
      const change = await subscriptions.changePlan(ctx, req.params.customerId, req.body.planId, req.body.reason ?? null);
      return { ...view.subscription(change.subscription), checkoutUrl: change.checkoutUrl, effect: change.effect };
    },
  });
  app.delete('/v1/customers/:customerId/subscription', {
    schema: { tags: ['subscriptions'], summary: 'Cancel at the end of the period', params: Params, body: CancelBody, response: { 200: SubscriptionView, ...commonErrors } },
    handler: async (req) => view.subscription(await subscriptions.cancelSubscription(ctx, req.params.customerId, req.body?.reason ?? null)),
  });
  app.get('/v1/customers/:customerId/subscription', {
    schema: { tags: ['subscriptions'], summary: "The customer's subscription", params: Params, response: { 200: SubscriptionView, ...commonErrors } },
    handler: async (req) => view.subscription(await subscriptions.getSubscription(ctx, req.params.customerId)),
  });
}
