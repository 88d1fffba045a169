import { z } from 'zod';
import * as grants from '../../service/grants.js';
import type { RouteDeps, ZodApp } from '../deps.js';
import { GrantView, Id, IdempotencyHeaders, IsoTime, PositiveCredits, Reason, commonErrors, json, requestExample } from '../schemas.js';
import { view } from '../views.js';

export const GrantBody = z.strictObject({
  amount: PositiveCredits,
  source: z.enum(['bonus', 'adjustment']),
  expiresAt: IsoTime.nullable().optional(),
  priority: z.number().int().min(-1000).max(1000).optional(),
  reason: Reason,
}).meta(requestExample({ amount: 50, source: 'bonus', expiresAt: '2026-12-31T23:59:59Z', reason: 'Sorry for the outage' }));
export type GrantBody = z.input<typeof GrantBody>;

export const VoidBody = z.strictObject({ reason: Reason }).meta(requestExample({ reason: 'Granted to the wrong customer' }));

/** Operators' grants of credits, and taking back what is left of one. */
export function grantRoutes(app: ZodApp, { ctx, metrics }: RouteDeps): void {
  app.post('/v1/customers/:customerId/grants', {
    schema: {
      tags: ['credits'],
      operationId: 'createGrant',
      summary: 'Grant bonus or adjustment credits, with a reason',
      description:
        'An operator adds credits: `bonus` (a gift or promotion) or `adjustment` (a correction), never expiring unless `expiresAt` says so. Retry with the same `Idempotency-Key`.',
      params: z.object({ customerId: Id }),
      headers: IdempotencyHeaders,
      body: GrantBody,
      response: { 201: json('The new grant', GrantView), ...commonErrors },
    },
    handler: async (req, reply) => {
      const answer = await grants.grantCredits(ctx, req.params.customerId, req.body, req.headers['idempotency-key']);
      if (answer.replayed) reply.header('idempotent-replayed', 'true');
      else metrics.credits.inc({ kind: 'granted' }, answer.body.amount);
      return reply.code(answer.statusCode).send(view.grant(answer.body));
    },
  });

  app.post('/v1/grants/:grantId/void', {
    schema: {
      tags: ['credits'],
      operationId: 'voidGrant',
      summary: 'Take back what is left of a grant',
      description: 'What remains of the grant is voided, with a reason; credits held by running generations are voided when they come back.',
      params: z.object({ grantId: Id }),
      body: VoidBody,
      response: { 200: json('The voided grant', GrantView), ...commonErrors },
    },
    handler: async (req) => view.grant(await grants.voidGrant(ctx, req.params.grantId, req.body.reason)),
  });
}
