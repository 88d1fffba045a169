import helmet, { type HelmetOptions } from 'helmet';
import type { FastifyInstance } from 'fastify';

/**
 * Helmet's security headers on every answer. The middleware is built once from
 * `options` and run per request on the raw response, as helmet is meant to be
 * used; @fastify/helmet built it again (parsing the CSP directives) on every
 * request. Registered before CORS and auth, so their refusals carry the
 * headers too.
 */
export function addSecurityHeaders(app: FastifyInstance, options: HelmetOptions): void {
  const middleware = helmet(options);
  app.addHook('onRequest', (req, reply, done) => middleware(req.raw, reply.raw, (err?: unknown) => done(err as Error | undefined)));
}
