import { z } from 'zod';
import type { RouteDeps, ZodApp } from '../deps.js';

/** Liveness and Prometheus metrics, for load balancers and scrapers. */
export function healthRoutes(app: ZodApp, { ctx, metrics }: RouteDeps): void {
  app.get('/healthz', {
    config: { access: 'public' },
    schema: { tags: ['operations'], summary: 'Liveness', security: [], response: { 200: z.object({ ok: z.literal(true), store: z.string() }) } },
    handler: async () => ({ ok: true as const, store: ctx.store.kind }),
  });
  app.get('/metrics', {
    config: { access: 'public' },
    schema: { tags: ['operations'], summary: 'Prometheus metrics', security: [], hide: false },
    handler: async (_req, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  });
}
