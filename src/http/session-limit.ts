import fastifyRateLimit from '@fastify/rate-limit';
import { errors } from '../service/errors.js';
import type { ZodApp } from './deps.js';

/**
 * Limits what customer sessions may write (@fastify/rate-limit): every route a
 * session may call that is not a read gets a per-customer budget of `perMinute`
 * writes; secret keys are never limited. Runs after authentication, so the
 * session's customer is known. The count is kept per process.
 */
export async function limitSessionWrites(app: ZodApp, perMinute: number): Promise<void> {
  // Before the plugin's own onRoute hook: mark the routes it must guard.
  app.addHook('onRoute', (route) => {
    const methods = [route.method].flat();
    if (route.config?.access === 'customer' && methods.some((m) => m !== 'GET' && m !== 'HEAD')) {
      route.config = { ...route.config, rateLimit: {} };
    }
  });
  await app.register(fastifyRateLimit, {
    global: false,
    hook: 'preHandler',
    max: perMinute,
    timeWindow: 60_000,
    keyGenerator: (req) => (req.principal?.kind === 'session' ? `customer:${req.principal.customerId}` : 'secret'),
    allowList: (req) => req.principal?.kind !== 'session',
    errorResponseBuilder: (_req, context) => errors.rateLimited(Math.max(1, Math.ceil(context.ttl / 1000))),
  });
}
