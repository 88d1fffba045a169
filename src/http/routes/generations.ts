import { z } from 'zod';
import * as generations from '../../service/generations.js';
import type { Generation } from '../../domain/types.js';
import type { Answer } from '../../service/results.js';
import { assertGenerationAccess } from '../auth.js';
import type { RouteDeps, ZodApp } from '../deps.js';
import { GenerationView, Id, IdempotencyHeaders, Metadata, PositiveCredits, Reason, Units, commonErrors, conflictError, errorResponse, json, requestExample } from '../schemas.js';
import { view } from '../views.js';
import { FAILURE_REASONS } from '../../domain/refunds.js';
import type { FastifyReply } from 'fastify';

export const ReserveBody = z.strictObject({
  id: Id.optional(),
  customerId: Id,
  toolId: Id,
  units: Units.optional(),
  metadata: Metadata.optional(),
  memberId: Id.optional().meta({ description: "A member of the team `customerId` spending: the team's pool pays, within the member's limits and the team's" }),
  retryOf: Id.optional().meta({ description: 'A failed or reported generation of the same customer that this one retries: free (charged nothing on completion) while the plan\'s free retries of the period last' }),
}).meta(requestExample({ customerId: 'u_42', toolId: 'text-to-image', units: 2, metadata: { prompt: 'a lighthouse at dusk' } }));
export type ReserveBody = z.infer<typeof ReserveBody>;

/** A job that made nothing is a failure: complete names at least one unit (fail it instead). No body at all (a bare `curl -X POST`) is the same as {}. */
export const CompleteBody = z.strictObject({ units: Units.optional() }).nullish().meta(requestExample({ units: 1 }));
export const FailBody = z
  .strictObject({
    reason: Reason.optional().meta({ description: `One of ${FAILURE_REASONS.map((r) => `\`${r}\``).join(', ')}; any other text is kept as \`other\` with the text as the message` }),
    message: z.string().trim().min(1).max(2000).optional().meta({ description: 'What went wrong, in words' }),
  })
  .nullish()
  .meta(requestExample({ reason: 'provider_error', message: 'upstream answered 503' }));
export const ReportBody = z
  .strictObject({ reason: z.literal('bad_result'), note: z.string().trim().min(1).max(2000).optional() })
  .meta(requestExample({ reason: 'bad_result', note: 'The face came out distorted' }));
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
        'Gives back the percent of the cost the tool\'s refund policy sets for `reason` (credits returned = floor(cost × percent / 100)) to the grants they came from (credits whose grant expired meanwhile expire with it); the rest is charged, so the generation ends `failed` with `charged` the kept part. A free retry gives everything back. `reason` is one of the closed set; free text is stored as `other` with the text as `failureMessage`; no reason is `other`. Repeating it answers the first result; after a complete it answers 409 `generation_settled`.',
      params: GenerationParams,
      body: FailBody,
      response: { 200: json('The failed generation; what its policy returns is available again', GenerationView), ...settleErrors },
    },
    handler: async (req, reply) => {
      const answer = await generations.fail(ctx, req.params.id, req.body ?? {});
      if (!answer.replayed) {
        metrics.generations.inc({ outcome: 'failed', tool: answer.body.toolId });
        metrics.credits.inc({ kind: 'released' }, answer.body.cost - answer.body.charged);
        if (answer.body.charged > 0) metrics.credits.inc({ kind: 'charged' }, answer.body.charged);
      }
      return send(reply, answer);
    },
  });

  app.post('/v1/generations/:id/report', {
    schema: {
      tags: ['generations'],
      operationId: 'reportGeneration',
      summary: 'Report a completed generation\'s result as bad',
      description:
        'Within the tool\'s `reportWindowHours` after completion, refunds the tool\'s `bad_result` percent of what was charged (floor(charged × percent / 100), default 100) and emits `generation.refunded`. Once per generation: a second report answers 409 `already_reported` (with an `Idempotency-Key`, a repeat of the same request answers the first result). After the window: 409 `report_window_closed`. Past the plan\'s `maxReportsPerDay` for the UTC day: 402 `report_limit_reached`. A generation not completed: 409 `invalid_state`.',
      params: GenerationParams,
      headers: IdempotencyHeaders,
      body: ReportBody,
      response: {
        200: json('The generation with its `reportedAt` and `refunded` credits', GenerationView),
        402: errorResponse('`report_limit_reached`: the customer made the reports its plan allows today; `details` has `limit`'),
        ...settleErrors,
      },
    },
    handler: async (req, reply) => {
      const answer = await generations.report(ctx, req.params.id, { reason: req.body.reason, ...(req.body.note ? { note: req.body.note } : {}) }, req.headers['idempotency-key']);
      if (!answer.replayed) metrics.generations.inc({ outcome: 'refunded', tool: answer.body.toolId });
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
      description:
        'An operator gives back all that is left of the charge, or `amount` of it, never more than was charged; the credits go back as for a failure. A failed generation whose refund policy kept part of its cost (`charged` > 0) can be refunded the same way.',
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
