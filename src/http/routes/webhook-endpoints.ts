import { z } from 'zod';
import type { WebhookAttempt, WebhookEndpoint } from '../../domain/events.js';
import * as webhooks from '../../service/webhooks.js';
import type { RouteDeps, ZodApp } from '../deps.js';
import { EventType, Id, PageQuery, commonErrors, paged } from '../schemas.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const Url = z.string().trim().min(1).max(2048);
const Events = z.array(EventType).min(1).max(50).nullable();

export const CreateEndpointBody = z.strictObject({
  url: Url,
  events: Events.optional().meta({ description: 'The event types to send; omitted or null sends every type' }),
  description: z.string().trim().max(500).nullable().optional(),
});
export const UpdateEndpointBody = z.strictObject({
  url: Url.optional(),
  events: Events.optional(),
  description: z.string().trim().max(500).nullable().optional(),
  status: z.enum(['enabled', 'disabled']).optional(),
});

export const EndpointView = z
  .object({
    id: z.string(),
    url: z.string(),
    events: z.array(EventType).nullable(),
    description: z.string().nullable(),
    status: z.enum(['enabled', 'disabled']),
    disabledReason: z.string().nullable(),
    consecutiveFailures: z.number().int(),
    failingSince: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'WebhookEndpoint' });
const CreatedEndpointView = EndpointView.extend({ secret: z.string().meta({ description: 'The signing secret (whsec_…): shown only in this answer' }) });

export const AttemptView = z
  .object({
    id: z.string(),
    deliveryId: z.string(),
    eventId: z.string(),
    attempt: z.number().int(),
    statusCode: z.number().int().nullable(),
    error: z.string().nullable(),
    latencyMs: z.number().int(),
    succeeded: z.boolean(),
    at: z.string(),
  })
  .meta({ id: 'WebhookAttempt' });

const endpointView = (e: WebhookEndpoint) => ({
  id: e.id,
  url: e.url,
  events: e.events,
  description: e.description,
  status: e.status,
  disabledReason: e.disabledReason,
  consecutiveFailures: e.consecutiveFailures,
  failingSince: iso(e.failingSince),
  createdAt: iso(e.createdAt)!,
  updatedAt: iso(e.updatedAt)!,
});
const attemptView = (a: WebhookAttempt) => ({
  id: a.id,
  deliveryId: a.deliveryId,
  eventId: a.eventId,
  attempt: a.attempt,
  statusCode: a.statusCode,
  error: a.error,
  latencyMs: a.latencyMs,
  succeeded: a.error === null,
  at: iso(a.at)!,
});

/** The app's receivers of signed events, and what was sent to each. */
export function webhookEndpointRoutes(app: ZodApp, { ctx }: RouteDeps): void {
  const params = z.object({ endpointId: Id });
  app.post('/v1/webhook-endpoints', {
    schema: {
      tags: ['webhooks'],
      summary: 'Register a webhook endpoint',
      description: 'Answers with the signing secret, which is not shown again.',
      body: CreateEndpointBody,
      response: { 201: CreatedEndpointView, ...commonErrors },
    },
    handler: async (req, reply) => {
      const endpoint = await webhooks.createEndpoint(ctx, req.body);
      return reply.code(201).send({ ...endpointView(endpoint), secret: endpoint.secret });
    },
  });
  app.get('/v1/webhook-endpoints', {
    schema: { tags: ['webhooks'], summary: 'List webhook endpoints', response: { 200: z.object({ data: z.array(EndpointView) }), ...commonErrors } },
    handler: async () => ({ data: (await ctx.store.listWebhookEndpoints()).map(endpointView) }),
  });
  app.get('/v1/webhook-endpoints/:endpointId', {
    schema: { tags: ['webhooks'], summary: 'Get a webhook endpoint', params, response: { 200: EndpointView, ...commonErrors } },
    handler: async (req) => endpointView(await webhooks.getEndpoint(ctx, req.params.endpointId)),
  });
  app.patch('/v1/webhook-endpoints/:endpointId', {
    schema: {
      tags: ['webhooks'],
      summary: 'Change, disable or enable a webhook endpoint',
      params,
      body: UpdateEndpointBody,
      response: { 200: EndpointView, ...commonErrors },
    },
    handler: async (req) => endpointView(await webhooks.updateEndpoint(ctx, req.params.endpointId, req.body)),
  });
  app.delete('/v1/webhook-endpoints/:endpointId', {
    schema: { tags: ['webhooks'], summary: 'Delete a webhook endpoint', params, response: { 204: z.null().meta({ description: 'Deleted' }), ...commonErrors } },
    handler: async (req, reply) => {
      await webhooks.deleteEndpoint(ctx, req.params.endpointId);
      return reply.code(204).send(null);
    },
  });
  app.get('/v1/webhook-endpoints/:endpointId/deliveries', {
    schema: {
      tags: ['webhooks'],
      summary: "An endpoint's delivery attempts, newest first",
      description: 'Every attempt, with its status code or error, time and latency.',
      params,
      querystring: PageQuery,
      response: { 200: paged(AttemptView), ...commonErrors },
    },
    handler: async (req) => {
      const page = await webhooks.listAttempts(ctx, req.params.endpointId, req.query);
      return { data: page.data.map(attemptView), nextCursor: page.nextCursor };
    },
  });
  app.post('/v1/events/:eventId/redeliver', {
    schema: {
      tags: ['webhooks'],
      summary: 'Send an event again',
      description: 'To one endpoint (`endpointId`), or to every enabled endpoint that takes its type.',
      params: z.object({ eventId: Id }),
      body: z.strictObject({ endpointId: Id.optional() }).optional(),
      response: { 202: z.object({ deliveries: z.array(z.object({ id: z.string(), endpointId: z.string() })) }), ...commonErrors },
    },
    handler: async (req, reply) => {
      const deliveries = await webhooks.redeliver(ctx, req.params.eventId, req.body?.endpointId);
      return reply.code(202).send({ deliveries: deliveries.map((d) => ({ id: d.id, endpointId: d.endpointId })) });
    },
  });
}
