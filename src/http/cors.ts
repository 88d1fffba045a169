import fastifyCors from '@fastify/cors';
import Router from 'find-my-way';
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';

/** How long a browser may reuse a preflight answer. */
const PREFLIGHT_MAX_AGE_SECONDS = 600;

/**
 * Whether a browser on another origin may call a route: the ones a customer
 * session may call (its customer's balance, ledger, generations and purchases)
 * and the public reads under /v1 (pricing). Secret-key routes, the demo routes
 * and webhooks never answer another origin.
 */
export function browserMayCall(method: string, url: string, access: string | undefined): boolean {
  if (!url.startsWith('/v1/')) return false;
  return access === 'customer' || (access === 'public' && (method === 'GET' || method === 'HEAD'));
}

/**
 * CORS for the origins in PURSE_CORS_ORIGINS, on the routes `browserMayCall`
 * allows; any other origin or route gets no CORS headers at all (a preflight
 * answers 404), so the browser refuses. Register before the auth hook, so a 401 still reaches the page.
 * A preflight (OPTIONS) names no route of its own: its target is looked up in
 * a router of the allowed routes, filled as routes are added.
 */
export async function registerCors(app: FastifyInstance, origins: string[]): Promise<void> {
  if (origins.length === 0) return;
  const allowed = Router();
  app.addHook('onRoute', (route: RouteOptions) => {
    for (const method of [route.method].flat() as Router.HTTPMethod[]) {
      if (browserMayCall(method, route.url, route.config?.access)) allowed.on(method, route.url, () => {});
    }
  });
  const target = (req: FastifyRequest): { method: string; path: string } => {
    const path = req.url.split('?')[0]!;
    const wanted = req.method === 'OPTIONS' ? String(req.headers['access-control-request-method'] ?? '') : req.method;
    return { method: wanted.toUpperCase(), path };
  };
  await app.register(fastifyCors, {
    hook: 'onRequest',
    delegator: (req, callback) => {
      const { method, path } = target(req);
      const origin = req.headers.origin;
      const ok =
        origin !== undefined &&
        origins.includes(origin) &&
        (method === 'GET' || method === 'HEAD' || method === 'POST') &&
        allowed.find(method === 'HEAD' ? 'GET' : (method as Router.HTTPMethod), path) !== null;
      callback(null, {
        origin: ok ? origins : false,
        methods: ['GET', 'HEAD', 'POST'],
        allowedHeaders: ['authorization', 'content-type', 'idempotency-key'],
        exposedHeaders: ['x-request-id', 'idempotent-replayed'],
        maxAge: PREFLIGHT_MAX_AGE_SECONDS,
      });
    },
  });
}
