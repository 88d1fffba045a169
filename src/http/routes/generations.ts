import { z } from 'zod';
import * as generations from '../../service/generations.js';
import type { Generation } from '../../domain/types.js';
import type { Answer } from '../../service/results.js';
import { assertCustomerAccess } from '../auth.js';
import type { RouteDeps, ZodApp } from '../deps.js';
import { ErrorResponse, GenerationView, Id, IdempotencyHeaders, Metadata, PositiveCredits, Reason, Units, commonErrors } from '../schemas.js';
import { view } from '../views.js';
import type { FastifyReply } from 'fastify';

export const ReserveBody = z.strictObject({
  id: Id.optional(),
  customerId: Id,
  toolId: Id,
  units: Units.optional(),
  metadata: Metadata.optional(),
});
export type ReserveBody = z.infer<typeof ReserveBody>;

/** A job that made nothing is a failure: complete names at least one unit (fail it instead). */
export const CompleteBody = z.strictObject({ units: Units.optional() });
export const FailBody = z.strictObject({ reason: Reason.optional() });
export const ExtendBody = z.strictObject({ holdSeconds: z.number().int().min(1).max(generations.MAX_HOLD_SECONDS) });
export const RefundBody = z.strictObject({ reason: Reason, amount: PositiveCredits.optional() });

const GenerationParams = z.object({ id: Id });
const settleErrors = { ...commonErrors, 409: ErrorResponse };

/** Generations: reserve credits before a job, then complete or fail it. */
export function generationRoutes(app: ZodApp, { ctx, metrics }: RouteDeps): void {
  const send = (reply: FastifyReply, answer: Answer<Generation>) => {
    if (answer.replayed) reply.header('idempotent-replayed', 'true');
    return reply.code(answer.statusCode).send(view.generation(answer.body));
  };

  app.post('/v1/generations', {
    schema: {
      tags: ['generations'],
      summary: 'Reserve credits for a generation',
      description: 'Holds the whole cost at once, or refuses with 402 insufficient_credits. The id, if given, is the idempotency key.',
      body: ReserveBody,
      response: { 201: GenerationView, 402: ErrorResponse, ...settleErrors },
    },
    handler: async (req, reply) => {
      try {
        const answer = await generations.reserve(ctx, req.body);
        if (!answer.replayed) {
          metrics.generations.inc({ outcome: 'reserved', tool: answer.body.toolId });
          metrics.credits.inc({ kind: 'reserved' }, answer.body.cost);
        }
        return send(reply, answer);
      } catch (err) {
        if ((err as { code?: string }).code === 'insufficient_credits') metrics.generations.inc({ outcome: 'refused', tool: req.body.toolId });
        throw err;
      }
    },
  });

  app.post('/v1/generations/:id/complete', {
    schema: {
      tags: ['generations'],
      summary: 'Complete a generation and charge its credits',
      description: 'May name fewer units than reserved; the difference goes back.',
      params: GenerationParams,
      body: CompleteBody.optional(),
      response: { 200: GenerationView, ...settleErrors },
    },
    handler: async (req, reply) => {
      const answer = await generations.complete(ctx, req.params.id, req.body ?? {});
      if (!answer.replayed) {
        metrics.generations.inc({ outcome: 'completed', tool: answer.body.toolId });
        metrics.credits.inc({ kind: 'charged' }, answer.body.charged);
      }
      return send(reply, answer);
    },
  });

  app.post('/v1/generations/:id/fail', {
    schema: {
      tags: ['generations'],
      summary: 'Fail a generation and give its credits back',
      params: GenerationParams,
      body: FailBody.optional(),
      response: { 200: GenerationView, ...settleErrors },
    },
    handler: async (req, reply) => {
      const answer = await generations.fail(ctx, req.params.id, req.body ?? {});
      if (!answer.replayed) {
        metrics.generations.inc({ outcome: 'failed', tool: answer.body.toolId });
        metrics.credits.inc({ kind: 'released' }, answer.body.cost);
      }
      return send(reply, answer);
    },
  });

  app.post('/v1/generations/:id/extend', {
    schema: {
      tags: ['generations'],
      summary: 'Keep a running generation\'s credits held for longer',
      params: GenerationParams,
      body: ExtendBody,
      response: { 200: GenerationView, ...settleErrors },
    },
    handler: async (req) => view.generation(await generations.extend(ctx, req.params.id, req.body.holdSeconds)),
  });

  app.post('/v1/generations/:id/refund', {
    schema: {
      tags: ['generations'],
      summary: 'Refund a completed generation',
      description: 'Gives back all that is left of the charge, or `amount` of it; never more than was charged.',
      params: GenerationParams,
      headers: IdempotencyHeaders,
      body: RefundBody,
      response: { 200: GenerationView, ...settleErrors },
    },
    handler: async (req, reply) => {
      const answer = await generations.refund(ctx, req.params.id, req.body, req.headers['idempotency-key']);
      if (!answer.replayed) metrics.generations.inc({ outcome: 'refunded', tool: answer.body.toolId });
      return send(reply, answer);
    },
  });

  app.get('/v1/generations/:id', {
    config: { access: 'customer' },
    schema: { tags: ['generations'], summary: 'A generation and its state', params: GenerationParams, response: { 200: GenerationView, ...commonErrors } },
    handler: async (req) => {
      const gen = await generations.getGeneration(ctx, req.params.id, (customerId) => assertCustomerAccess(req, customerId));
      return view.generation(gen);
    },
  });
}
