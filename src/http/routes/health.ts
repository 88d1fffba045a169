import { z } from 'zod';
import { errors } from '../../service/errors.js';
import type { RouteDeps, ZodApp } from '../deps.js';
import { commonErrors, errorResponse, json } from '../schemas.js';

/** How long /readyz waits for the store before it answers 503. */
export const READY_TIMEOUT_MS = 2_000;

/**
 * Liveness (/healthz: the process answers), readiness (/readyz: the store
 * answers too) and Prometheus metrics (a secret key, or PURSE_METRICS_PORT).
 */
export function healthRoutes(app: ZodApp, { ctx, metrics }: RouteDeps): void {
  app.get('/healthz', {
    config: { access: 'public' },
    schema: {
      tags: ['operations'],
      operationId: 'getHealth',
      summary: 'Liveness: the process answers; the store is not touched',
      description: 'Public: answers while the process runs, naming its store (`sqlite` or `postgres`).',
      security: [],
      response: { 200: json('The process is up', z.object({ ok: z.literal(true), store: z.string() })) },
    },
    handler: async () => ({ ok: true as const, store: ctx.store.kind }),
  });
  app.get('/readyz', {
    config: { access: 'public' },
    schema: {
      tags: ['operations'],
      operationId: 'getReadiness',
      summary: 'Readiness: the store answers a read',
      description: `503 unavailable when the store cannot be read within ${READY_TIMEOUT_MS / 1000} s; take the process out of the load balancer until it answers 200.`,
      security: [],
      response: {
        200: json('The store answered: send traffic here', z.object({ ok: z.literal(true), store: z.string() })),
        503: errorResponse('`unavailable`: the store did not answer in time'),
      },
    },
    handler: async (req) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          ctx.store.getMeta('readyz'),
          new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer in ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS))),
        ]);
      } catch (err) {
        req.log.warn({ err }, 'readiness check: the store cannot be reached');
        throw errors.unavailable(`the ${ctx.store.kind} store cannot be reached`);
      } finally {
        clearTimeout(timer);
      }
      return { ok: true as const, store: ctx.store.kind };
    },
  });
  app.get('/metrics', {
    config: { access: 'secret' },
    schema: {
      tags: ['operations'],
      operationId: 'getMetrics',
      summary: 'Prometheus metrics',
      description: 'Needs a secret key; or set PURSE_METRICS_PORT to serve them without one on a separate, private port. Request latencies, store writes and commits, generations by outcome and tool, credits by kind, in the Prometheus text format.',
      response: { 200: { description: 'The metrics', content: { 'text/plain': { schema: z.string() } } }, 401: commonErrors[401], 403: commonErrors[403] },
    },
    handler: async (_req, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  });
}
