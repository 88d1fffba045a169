import { z } from 'zod';
import * as subscriptions from '../../service/subscriptions.js';
import type { RouteDeps, ZodApp } from '../deps.js';
import { Id, Reason, SubscriptionView, commonErrors, json, requestExample } from '../schemas.js';
import { view } from '../views.js';

export const PutSubscriptionBody = z.strictObject({ planId: Id, reason: Reason.optional() }).meta(requestExample({ planId: 'pro' }));
const CancelBody = z.strictObject({ reason: Reason.optional() }).nullish().meta(requestExample({ reason: 'Asked to cancel by email' }));
const Params = z.object({ customerId: Id });

/** A customer's subscription: subscribe, change plan, cancel at period end. */
export function subscriptionRoutes(app: ZodApp, { ctx }: RouteDeps): void {
  app.put('/v1/customers/:customerId/subscription', {
    schema: {
      tags: ['subscriptions'],
      operationId: 'putSubscription',
      summary: 'Subscribe or change plan',
      description:
        'A new subscription or an upgrade starts a period of the plan now (the old plan\'s credits expire); a downgrade takes effect at the end of the current period; naming the current plan resumes a pending cancellation or change. With Stripe, a new subscription answers with a `checkoutUrl`.',
      params: Params,
      body: PutSubscriptionBody,
      response: {
        200: json('The subscription, what the change did (`effect`), and a Checkout URL when payment is needed', SubscriptionView.extend({ checkoutUrl: z.string().nullable(), effect: z.string() })),
        ...commonErrors,
      },
    },
    handler: async (req) => {
      const change = await subscriptions.changePlan(ctx, req.params.customerId, req.body.planId, req.body.reason ?? null);
      return { ...view.subscription(change.subscription), checkoutUrl: change.checkoutUrl, effect: change.effect };
    },
  });
  app.delete('/v1/customers/:customerId/subscription', {
    schema: {
      tags: ['subscriptions'],
      operationId: 'cancelSubscription',
      summary: 'Cancel at the end of the period',
      description: 'Sets `cancelAtPeriodEnd`; the plan\'s credits stay usable until `currentPeriodEnd`. `PUT` with the current plan resumes it.',
      params: Params,
      body: CancelBody,
      response: { 200: json('The subscription, canceling at period end', SubscriptionView), ...commonErrors },
    },
    handler: async (req) => view.subscription(await subscriptions.cancelSubscription(ctx, req.params.customerId, req.body?.reason ?? null)),
  });
  app.get('/v1/customers/:customerId/subscription', {
    schema: {
      tags: ['subscriptions'],
      operationId: 'getSubscription',
      summary: "The customer's subscription",
      description: 'Its plan, `currentPeriodStart`, `currentPeriodEnd`, `cancelAtPeriodEnd` and any pending change.',
      params: Params,
      response: { 200: json('The subscription', SubscriptionView), ...commonErrors },
    },
    handler: async (req) => view.subscription(await subscriptions.getSubscription(ctx, req.params.customerId)),
  });
}
