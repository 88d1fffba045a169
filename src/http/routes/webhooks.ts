import { z } from 'zod';
import { verifyStripeEvent } from '../../payments/stripe-provider.js';
import { errors } from '../../service/errors.js';
import { applyPaymentEvent } from '../../service/payment-events.js';
import type { RouteDeps, ZodApp } from '../deps.js';
import { errorResponse, json } from '../schemas.js';

/**
 * Stripe's events, accepted only with a valid `Stripe-Signature` and applied
 * exactly once. Registered when STRIPE_WEBHOOK_SECRET is set.
 */
export function webhookRoutes(app: ZodApp, { ctx, metrics, stripeWebhookSecret }: RouteDeps): void {
  if (!stripeWebhookSecret) return;
  app.register(async (scope) => {
    // The signature covers the exact bytes Stripe sent: keep the body as text.
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));
    scope.withTypeProvider<import('fastify-type-provider-zod').ZodTypeProvider>().post('/v1/webhooks/stripe', {
      config: { access: 'public' },
      schema: {
        tags: ['payments'],
        operationId: 'receiveStripeEvent',
        summary: "Stripe's events",
        description: 'checkout.session.completed, invoice.paid, customer.subscription.updated/deleted and charge.refunded are applied, each exactly once. An event that contradicts the stored purchase (customer, pack, amount or currency paid) is acknowledged with `mismatch: true` and changes nothing.',
        security: [],
        headers: z.object({ 'stripe-signature': z.string().min(1).max(2000) }),
        response: {
          200: json('The event was verified; `applied` says whether it changed anything, `duplicate` whether it had been applied before', z.object({ received: z.literal(true), applied: z.boolean(), duplicate: z.boolean(), note: z.string().optional(), mismatch: z.boolean().optional() })),
          400: errorResponse('`invalid_request`: the `Stripe-Signature` does not match the payload and the endpoint secret; nothing changed'),
        },
      },
      handler: async (req) => {
        let event;
        try {
          event = verifyStripeEvent(String(req.body ?? ''), req.headers['stripe-signature'], stripeWebhookSecret);
        } catch {
          throw errors.invalid('Stripe-Signature', 'does not match the payload and the endpoint secret');
        }
        const outcome = await applyPaymentEvent(ctx, event);
        if (outcome.mismatch) {
          metrics.paymentMismatches.inc({ type: event.type });
          req.log.warn({ event: event.eventId, type: event.type, note: outcome.note }, 'stripe event does not match what Purse knows; acknowledged, nothing changed');
        } else if (outcome.note) req.log.info({ event: event.eventId, type: event.type, note: outcome.note }, 'stripe event');
        return { received: true as const, ...outcome };
      },
    });
  });
}
