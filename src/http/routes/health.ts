import { z } from 'zod';
import type { RouteDeps, ZodApp } from '../deps.js';
import { json } from '../schemas.js';

/** Liveness and Prometheus metrics, for load balancers and scrapers. */
export function healthRoutes(app: ZodApp, { ctx, metrics }: RouteDeps): void {
  app.get('/healthz', {
    config: { access: 'public' },
    schema: {
      tags: ['operations'],
      operationId: 'getHealth',
      summary: 'Liveness',
      description: 'Public: answers while the process runs, naming its store (`sqlite` or `postgres`).',
      security: [],
      response: { 200: json('The server is up', z.object({ ok: z.literal(true), store: z.string() })) },
    },
    handler: async () => ({ ok: true as const, store: ctx.store.kind }),
  });
  app.get('/metrics', {
    config: { access: 'public' },
    schema: {
      tags: ['operations'],
      operationId: 'getMetrics',
      summary: 'Prometheus metrics',
      description: 'Public: request latencies, generations by outcome and tool, credits reserved, charged, released and granted, in the Prometheus text format.',
      security: [],
      response: { 200: { description: 'The metrics', content: { 'text/plain': { schema: z.string() } } } },
    },
    handler: async (_req, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  });
}
