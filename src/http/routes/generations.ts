import { z } from 'zod';
import * as generations from '../../service/generations.js';
import type { Generation } from '../../domain/types.js';
import type { Answer } from '../../service/results.js';
import { assertGenerationAccess } from '../auth.js';
import type { RouteDeps, ZodApp } from '../deps.js';
import { GenerationView, Id, IdempotencyHeaders, Metadata, PositiveCredits, Reason, Units, commonErrors, conflictError, errorResponse, json, requestExample } from '../schemas.js';
import { view } from '../views.js';
import type { FastifyReply } from 'fastify';

export const ReserveBody = z.strictObject({
  id: Id.optional(),
  customerId: Id,
  toolId: Id,
  units: Units.optional(),
  metadata: Metadata.optional(),
  memberId: Id.optional().meta({ description: "A member of the team `customerId` spending: the team's pool pays, within the member's limits and the team's" }),
}).meta(requestExample({ customerId: 'u_42', toolId: 'text-to-image', units: 2, metadata: { prompt: 'a lighthouse at dusk' } }));
export type ReserveBody = z.infer<typeof ReserveBody>;

/** A job that made nothing is a failure: complete names at least one unit (fail it instead). No body at all (a bare `curl -X POST`) is the same as {}. */
export const CompleteBody = z.strictObject({ units: Units.optional() }).nullish().meta(requestExample({ units: 1 }));
export const FailBody = z.strictObject({ reason: Reason.optional() }).nullish().meta(requestExample({ reason: 'model_error' }));
export const ExtendBody = z.strictObject({ holdSeconds: z.number().int().min(1).max(generations.MAX_HOLD_SECONDS) }).meta(requestExample({ holdSeconds: 600 }));
export const RefundBody = z.strictObject({ reason: Reason, amount: PositiveCredits.optional() }).meta(requestExample({ reason: 'The picture came out blank' }));

const GenerationParams = z.object({ id: Id });
const settleErrors = { ...commonErrors, 409: conflictError };

/** Generations: reserve credits before a job, then complete or fail it. */
export function generationRoutes(app: ZodApp, { ctx, metrics }: RouteDeps): void {
  const send = (reply: FastifyReply, answer: Answer<Generation>) => {
    if (answer.replayed) reply.header('idempotent-replayed', 'true');
    return reply.code(answer.statusCode).send(view.generation(answer.body));
  };

  app.post('/v1/generations', {
    schema: {
      tags: ['generations'],
      operationId: 'reserveGeneration',
      summary: 'Reserve credits for a generation',
      description:
        'Holds the whole cost (`tool.credits × units`) at once, or nothing: with too few credits it answers 402 `insufficient_credits` with `available` and `required`. A customer with limits (its own or its plan\'s) is refused first, changing nothing: one more open hold than `maxInFlight` answers 429 `too_many_in_flight` (`limit`, `inFlight`); a cost that would pass a daily or monthly limit, the customer\'s or the tool\'s, answers 402 `spend_limit_reached` (`scope`, `window`, `limit`, `used`, `required`, and `toolId` for a tool\'s). With `memberId` the team `customerId` pays, and the member\'s own daily and monthly caps apply too (`scope` `member`, with `memberId`); a member that does not exist or was removed answers 404 `not_found` (`resource` `member`, `removed` when it was). Every ledger entry and event of the generation names the member. The price is fixed now. The `id`, if given, is the idempotency key: the same id with the same body answers the first generation again.',
      body: ReserveBody,
      response: {
        201: json('The reserved generation, holding its cost until `holdUntil`', GenerationView),
        402: errorResponse(
          '`insufficient_credits`: the customer has fewer available credits than the cost; `details` has `available` and `required`. `spend_limit_reached`: the cost would pass a spend limit; `details` has `scope` (`customer`, `tool` or `member`), `window` (`day` or `month`), `limit`, `used` and `required`',
        ),
        429: errorResponse('`too_many_in_flight`: the customer already holds `maxInFlight` generations reserved; `details` has `limit` and `inFlight`'),
        ...settleErrors,
      },
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
        const code = (err as { code?: string }).code;
        if (code === 'insufficient_credits' || code === 'spend_limit_reached' || code === 'too_many_in_flight') metrics.generations.inc({ outcome: 'refused', tool: req.body.toolId });
        throw err;
      }
    },
  });

  app.post('/v1/generations/:id/complete', {
    schema: {
      tags: ['generations'],
      operationId: 'completeGeneration',
      summary: 'Complete a generation and charge its credits',
      description:
        'Charges the reserved credits. It may name fewer `units` than reserved (the difference goes back), never more. Repeating it answers the first result; after a fail it answers 409 `generation_settled`.',
      params: GenerationParams,
      body: CompleteBody,
      response: { 200: json('The completed generation: `charged` credits and `chargedUnits`', GenerationView), ...settleErrors },
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
      operationId: 'failGeneration',
      summary: 'Fail a generation and give its credits back',
      description:
        'Returns every reserved credit to the grant it came from (credits whose grant expired meanwhile expire with it). Repeating it answers the first result; after a complete it answers 409 `generation_settled`.',
      params: GenerationParams,
      body: FailBody,
      response: { 200: json('The failed generation; its credits are available again', GenerationView), ...settleErrors },
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
      operationId: 'extendGeneration',
      summary: 'Keep a running generation\'s credits held for longer',
      description: 'Moves `holdUntil` to `holdSeconds` from now. A generation neither completed nor failed by then fails by itself, reason `timeout`.',
      params: GenerationParams,
      body: ExtendBody,
      response: { 200: json('The generation with its new `holdUntil`', GenerationView), ...settleErrors },
    },
    handler: async (req) => view.generation(await generations.extend(ctx, req.params.id, req.body.holdSeconds)),
  });

  app.post('/v1/generations/:id/refund', {
    schema: {
      tags: ['generations'],
      operationId: 'refundGeneration',
      summary: 'Refund a completed generation',
      description: 'An operator gives back all that is left of the charge, or `amount` of it, never more than was charged; the credits go back as for a failure.',
      params: GenerationParams,
      headers: IdempotencyHeaders,
      body: RefundBody,
      response: { 200: json('The generation with its `refunded` credits', GenerationView), ...settleErrors },
    },
    handler: async (req, reply) => {
      const answer = await generations.refund(ctx, req.params.id, req.body, req.headers['idempotency-key']);
      if (!answer.replayed) metrics.generations.inc({ outcome: 'refunded', tool: answer.body.toolId });
      return send(reply, answer);
    },
  });

  app.get('/v1/generations/:id', {
    config: { access: 'customer' },
    schema: {
      tags: ['generations'],
      operationId: 'getGeneration',
      summary: 'A generation and its state',
      description: "A customer session may read only its own customer's generations; a team member's session only those its member spent.",
      params: GenerationParams,
      response: { 200: json('The generation', GenerationView), ...commonErrors },
    },
    handler: async (req) => {
      const gen = await generations.getGeneration(ctx, req.params.id, (customerId, memberId) => assertGenerationAccess(req, customerId, memberId));
      return view.generation(gen);
    },
  });
}
