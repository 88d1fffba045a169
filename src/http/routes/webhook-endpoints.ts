import { z } from 'zod';
import type { WebhookAttempt, WebhookEndpoint } from '../../domain/events.js';
import * as webhooks from '../../service/webhooks.js';
import type { RouteDeps, ZodApp } from '../deps.js';
import { EventType, Id, PageQuery, commonErrors, json, paged, requestExample } from '../schemas.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const Url = z.string().trim().min(1).max(2048);
const Events = z.array(EventType).min(1).max(50).nullable();

export const CreateEndpointBody = z.strictObject({
  url: Url,
  events: Events.optional().meta({ description: 'The event types to send; omitted or null sends every type' }),
  description: z.string().trim().max(500).nullable().optional(),
}).meta(requestExample({ url: 'https://app.example.com/purse/webhooks', events: ['credits.low', 'generation.failed'], description: 'Our backend' }));
export const UpdateEndpointBody = z.strictObject({
  url: Url.optional(),
  events: Events.optional(),
  description: z.string().trim().max(500).nullable().optional(),
  status: z.enum(['enabled', 'disabled']).optional(),
}).meta(requestExample({ status: 'disabled' }));

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
  .meta({
    id: 'WebhookEndpoint',
    description: "A URL of the app's backend that receives signed events",
    examples: [
      {
        id: 'we_1m89vnp0g00vf3pr1r1zy',
        url: 'https://app.example.com/purse/webhooks',
        events: ['credits.low', 'generation.failed'],
        description: 'Our backend',
        status: 'enabled',
        disabledReason: null,
        consecutiveFailures: 0,
        failingSince: null,
        createdAt: '2026-11-23T22:00:00.000Z',
        updatedAt: '2026-11-23T22:00:00.000Z',
      },
    ],
  });
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
  .meta({ id: 'WebhookAttempt', description: 'One attempt to deliver one event to one endpoint' });

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
      operationId: 'createWebhookEndpoint',
      summary: 'Register a webhook endpoint',
      description: 'Answers with the signing secret, which is not shown again.',
      body: CreateEndpointBody,
      response: { 201: json('The endpoint and its signing secret, shown only now', CreatedEndpointView), ...commonErrors },
    },
    handler: async (req, reply) => {
      const endpoint = await webhooks.createEndpoint(ctx, req.body);
      return reply.code(201).send({ ...endpointView(endpoint), secret: endpoint.secret });
    },
  });
  app.get('/v1/webhook-endpoints', {
    schema: {
      tags: ['webhooks'],
      operationId: 'listWebhookEndpoints',
      summary: 'List webhook endpoints',
      description: 'Every endpoint, enabled or not, without their secrets.',
      response: { 200: json('The endpoints', z.object({ data: z.array(EndpointView) })), ...commonErrors },
    },
    handler: async () => ({ data: (await ctx.store.listWebhookEndpoints()).map(endpointView) }),
  });
  app.get('/v1/webhook-endpoints/:endpointId', {
    schema: {
      tags: ['webhooks'],
      operationId: 'getWebhookEndpoint',
      summary: 'Get a webhook endpoint',
      description: 'The endpoint, whether it is enabled, and since when it has been failing.',
      params,
      response: { 200: json('The endpoint', EndpointView), ...commonErrors },
    },
    handler: async (req) => endpointView(await webhooks.getEndpoint(ctx, req.params.endpointId)),
  });
  app.patch('/v1/webhook-endpoints/:endpointId', {
    schema: {
      tags: ['webhooks'],
      operationId: 'updateWebhookEndpoint',
      summary: 'Change, disable or enable a webhook endpoint',
      description: 'Fields left out keep their value. Enabling a disabled endpoint clears its count of failures.',
      params,
      body: UpdateEndpointBody,
      response: { 200: json('The endpoint, changed', EndpointView), ...commonErrors },
    },
    handler: async (req) => endpointView(await webhooks.updateEndpoint(ctx, req.params.endpointId, req.body)),
  });
  app.delete('/v1/webhook-endpoints/:endpointId', {
    schema: {
      tags: ['webhooks'],
      operationId: 'deleteWebhookEndpoint',
      summary: 'Delete a webhook endpoint',
      description: 'No more events are sent to it.',
      params,
      response: { 204: z.null().meta({ description: 'Deleted' }), ...commonErrors },
    },
    handler: async (req, reply) => {
      await webhooks.deleteEndpoint(ctx, req.params.endpointId);
      return reply.code(204).send(null);
    },
  });
  app.get('/v1/webhook-endpoints/:endpointId/deliveries', {
    schema: {
      tags: ['webhooks'],
      operationId: 'listWebhookDeliveries',
      summary: "An endpoint's delivery attempts, newest first",
      description: 'Every attempt, with its status code or error, time and latency.',
      params,
      querystring: PageQuery,
      response: { 200: json('A page of attempts', paged(AttemptView)), ...commonErrors },
    },
    handler: async (req) => {
      const page = await webhooks.listAttempts(ctx, req.params.endpointId, req.query);
      return { data: page.data.map(attemptView), nextCursor: page.nextCursor };
    },
  });
  app.post('/v1/events/:eventId/redeliver', {
    schema: {
      tags: ['webhooks'],
      operationId: 'redeliverEvent',
      summary: 'Send an event again',
      description: 'To one endpoint (`endpointId`), or to every enabled endpoint that takes its type.',
      params: z.object({ eventId: Id }),
      body: z.strictObject({ endpointId: Id.optional() }).nullish().meta(requestExample({ endpointId: 'we_1m89vnp0g00vf3pr1r1zy' })),
      response: { 202: json('The deliveries queued', z.object({ deliveries: z.array(z.object({ id: z.string(), endpointId: z.string() })) })), ...commonErrors },
    },
    handler: async (req, reply) => {
      const deliveries = await webhooks.redeliver(ctx, req.params.eventId, req.body?.endpointId);
      return reply.code(202).send({ deliveries: deliveries.map((d) => ({ id: d.id, endpointId: d.endpointId })) });
    },
  });
}
