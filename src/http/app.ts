import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyServerOptions } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { errors } from '../service/errors.js';
import { newId } from '../service/ids.js';
import { addRequestHooks } from './hooks.js';
import { limitSessionWrites } from './session-limit.js';
import { registerCors } from './cors.js';
import { landingPage } from './landing.js';
import { addSecurityHeaders } from './security-headers.js';
import type { RouteDeps } from './deps.js';
import { sendError } from './errors.js';
import { createMetrics, type Metrics } from './metrics.js';
import { createResponseSerializerCompiler } from './serializer.js';
import { API_TAGS, markOptionalBody, withErrorExamples, withOptionalBodies, withoutUnusedSchemas } from './openapi.js';
import { alertRoutes } from './routes/alerts.js';
import { limitRoutes } from './routes/limits.js';
import { memberRoutes } from './routes/members.js';
import { autoTopUpRoutes } from './routes/auto-top-up.js';
import { customerRoutes } from './routes/customers.js';
import { eventRoutes } from './routes/events.js';
import { webhookEndpointRoutes } from './routes/webhook-endpoints.js';
import { demoRoutes } from './routes/demo.js';
import { generationRoutes } from './routes/generations.js';
import { grantRoutes } from './routes/grants.js';
import { healthRoutes } from './routes/health.js';
import { planRoutes } from './routes/plans.js';
import { pricingRoutes } from './routes/pricing.js';
import { purchaseRoutes } from './routes/purchases.js';
import { reportRoutes } from './routes/reports.js';
import { subscriptionRoutes } from './routes/subscriptions.js';
import { testClockRoutes } from './routes/test-clock.js';
import { toolRoutes } from './routes/tools.js';
import { webhookRoutes } from './routes/webhooks.js';

export interface AppOptions extends Omit<RouteDeps, 'metrics'> {
  logger?: FastifyServerOptions['logger'];
  /** Made here when not given; the server shares it with the PURSE_METRICS_PORT listener. */
  metrics?: Metrics;
  /** Writes one customer's sessions may make per minute; 0 or unset: no limit. */
  sessionWritesPerMinute?: number;
  /** Every answer also serialized by zod and compared to the compiled serializer's bytes (tests). */
  checkSerialization?: boolean;
}

/** Requests larger than this are refused with 413 before they are parsed. */
export const BODY_LIMIT_BYTES = 64 * 1024;

/** Path parameters up to this long reach the routes (a 128-character id, every character percent-encoded); longer ones are refused with 400. */
const MAX_PARAM_LENGTH = 128 * 3;

/**
 * The Content-Security-Policy of every page Purse serves (web app, /docs):
 * helmet's defaults (scripts and styles from Purse itself, no plugins), images
 * also as data: URLs (the studio's pictures), never framed. Plain HTTP on a
 * laptop stays usable: requests are not upgraded to HTTPS.
 */
const CSP_DIRECTIVES = {
  'frame-ancestors': ["'none'"],
  'img-src': ["'self'", 'data:'],
  'upgrade-insecure-requests': null,
};

/**
 * Builds the HTTP API. Routes are thin: parse (zod), call a service, map the
 * result; every error leaves as `{error: {code, message, details?}, requestId}`.
 */
export async function buildApp(options: AppOptions) {
  const metrics = options.metrics ?? createMetrics(options.ctx.store);
  const deps: RouteDeps = { ...options, metrics };
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: BODY_LIMIT_BYTES,
    genReqId: () => newId('req'),
    requestIdHeader: false,
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // A URL the router cannot read still gets the contract's error shape.
    frameworkErrors: (err, req, reply) => sendError(reply, req, err),
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(createResponseSerializerCompiler({ check: options.checkSerialization }));
  app.decorateRequest('principal', null);

  addSecurityHeaders(app, {
    contentSecurityPolicy: { directives: CSP_DIRECTIVES },
    referrerPolicy: { policy: 'no-referrer' },
  });
  // CORS for PURSE_CORS_ORIGINS on the customer-session routes; before the rate limit and auth, so their refusals reach the page.
  await registerCors(app, options.corsOrigins ?? []);
  if (options.sessionWritesPerMinute) await limitSessionWrites(app, options.sessionWritesPerMinute);

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Purse API',
        version: '1.0.0',
        description: 'Credits for generative-AI apps: plans, packs, generations that reserve, complete and fail, and the ledger behind them.',
      },
      servers: [{ url: '/', description: 'This Purse server' }],
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'A secret API key (sk_…) or a customer session (cs_…)' } } },
      security: [{ bearerAuth: [] }],
      tags: API_TAGS,
    },
    transform: (route) => markOptionalBody(route.schema?.body, withErrorExamples(jsonSchemaTransform(route))),
    // Every schema with an id is emitted twice (FooInput and Foo); keep the ones the API names.
    transformObject: (doc) => withOptionalBodies(withoutUnusedSchemas(jsonSchemaTransformObject(doc))),
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs', uiConfig: { url: '/openapi.json', validatorUrl: null } as never });

  addRequestHooks(app, deps);
  app.setErrorHandler((err, req, reply) => sendError(reply, req, err));
  const web = options.webRoot && existsSync(join(options.webRoot, 'index.html')) ? options.webRoot : null;
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0]!;
    // The web app's own routes (/credits, /console/…) all load its index page.
    // Outside demo mode only the console is there: the studio's pages would have no session to show.
    const page = options.demo ? !/^\/(v1|demo|docs|openapi\.json|healthz|readyz|metrics)(\/|$)/.test(path) : /^\/console(\/|$)/.test(path);
    if (web && req.method === 'GET' && page) return reply.sendFile('index.html');
    return sendError(reply, req, errors.notFound('route', `${req.method} ${path}`));
  });

  app.get('/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, async () => app.swagger());
  if (web) await app.register(fastifyStatic, { root: web, wildcard: false, maxAge: '1h', index: options.demo ? 'index.html' : false });
  if (!web || !options.demo) {
    app.get('/', { config: { access: 'public' }, schema: { hide: true } }, async (_req, reply) => reply.type('text/html').send(landingPage({ console: web !== null })));
  }

  const all = [healthRoutes, toolRoutes, planRoutes, pricingRoutes, customerRoutes, subscriptionRoutes, purchaseRoutes, grantRoutes, generationRoutes, reportRoutes, alertRoutes, limitRoutes, memberRoutes, autoTopUpRoutes, eventRoutes, webhookEndpointRoutes, testClockRoutes, webhookRoutes, demoRoutes];
  for (const routes of all) routes(app, deps);
  return app;
}

export type PurseApp = Awaited<ReturnType<typeof buildApp>>;
