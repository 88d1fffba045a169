import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import fastifySwagger, { type SwaggerTransformObject } from '@fastify/swagger';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyServerOptions } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errors } from '../service/errors.js';
import { newId } from '../service/ids.js';
import { authenticateRequest } from './auth.js';
import { registerCors } from './cors.js';
import { landingPage } from './landing.js';
import type { RouteDeps, ZodApp } from './deps.js';
import { sendError } from './errors.js';
import { createMetrics, type Metrics } from './metrics.js';
import { ERROR_EXAMPLES } from './schemas.js';
import { alertRoutes } from './routes/alerts.js';
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
}

/** Requests larger than this are refused with 413 before they are parsed. */
export const BODY_LIMIT_BYTES = 64 * 1024;

/** The deepest JSON body or query accepted; a deeper one is refused with 400 before anything reads it. */
export const MAX_JSON_DEPTH = 32;

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
  app.setSerializerCompiler(serializerCompiler);
  app.decorateRequest('principal', null);

  await app.register(fastifyHelmet, {
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

  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
    const url = req.routeOptions.url;
    // Probes answer without touching the store (not even the test clock): /readyz reads it itself.
    if (url === undefined || url.startsWith('/docs') || url === '/healthz' || url === '/readyz') return;
    // Routes outside the API (the web app's files) are public; every API route says who may call it.
    if (!url.startsWith('/v1/') && !url.startsWith('/demo/') && req.routeOptions.config?.access === undefined) return;
    await deps.testClock?.sync();
    await authenticateRequest(deps.ctx, deps.auth, req);
  });
  // No text column anywhere takes a NUL character (PostgreSQL refuses it): refuse it here, by field.
  app.addHook('preValidation', async (req) => {
    const where = findNul(req.body, '') ?? findNul(req.query, '');
    if (where !== null) throw errors.invalid(where || 'body', 'must not contain the NUL character');
  });
  app.addHook('onResponse', async (req, reply) => {
    metrics.requests.observe({ method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
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

  const all = [healthRoutes, toolRoutes, planRoutes, pricingRoutes, customerRoutes, subscriptionRoutes, purchaseRoutes, grantRoutes, generationRoutes, reportRoutes, alertRoutes, eventRoutes, webhookEndpointRoutes, testClockRoutes, webhookRoutes, demoRoutes];
  for (const routes of all) routes(app, deps);
  return app;
}

export type PurseApp = Awaited<ReturnType<typeof buildApp>>;

/** The groups of the API reference, in the order /docs shows them. */
const API_TAGS = [
  { name: 'generations', description: 'Reserve credits before a job, then complete (charge) or fail (give back) it' },
  { name: 'credits', description: "A customer's balance, ledger and grants; operators' grants and voids" },
  { name: 'customers', description: "The app's end users, and customer sessions for front ends" },
  { name: 'tools', description: 'Generative tools and what each generation costs' },
  { name: 'plans', description: 'Subscription plans: credits every period' },
  { name: 'packs', description: 'Add-on credit packs' },
  { name: 'pricing', description: 'The public price list' },
  { name: 'subscriptions', description: 'Subscribe, change plan, cancel at period end' },
  { name: 'purchases', description: 'Buying packs, and refunding a purchase' },
  { name: 'reports', description: 'Credits issued, spent, refunded and expired; what is still owed' },
  { name: 'events', description: 'What changed, in order: the events feed and the alert settings that fire credits.low and credits.expiring_soon' },
  { name: 'webhooks', description: "Endpoints of the app's backend that receive the events, signed, and what was sent to each" },
  { name: 'payments', description: "The payment provider's notices" },
  { name: 'test clock', description: 'Move time forward in tests (PURSE_TEST_CLOCK=1 only)' },
  { name: 'operations', description: 'Liveness, readiness and metrics' },
];

/** Gives each error response the example of its status (one Error schema serves them all, so it cannot carry them). */
function withErrorExamples<T extends { schema: unknown }>(route: T): T {
  type Media = { schema?: { $ref?: string }; example?: unknown };
  const responses = (route.schema as { response?: Record<string, { content?: Record<string, Media> }> } | undefined)?.response ?? {};
  for (const [status, response] of Object.entries(responses)) {
    const media = response.content?.['application/json'];
    if (media?.schema?.$ref === '#/components/schemas/Error' && ERROR_EXAMPLES[status]) media.example = ERROR_EXAMPLES[status];
  }
  return route;
}

const OPTIONAL_BODY = 'x-purse-optional-body';

/**
 * @fastify/swagger marks every request body required; a route whose zod body
 * accepts no body at all (complete, fail …) says so with a mark that
 * withOptionalBodies turns into `requestBody.required: false`.
 */
function markOptionalBody<T extends { schema: unknown }>(body: unknown, route: T): T {
  if (body instanceof z.ZodType && body.safeParse(undefined).success) (route.schema as Record<string, unknown>)[OPTIONAL_BODY] = true;
  return route;
}

function withOptionalBodies(doc: ReturnType<SwaggerTransformObject>): ReturnType<SwaggerTransformObject> {
  const paths = (doc as { paths?: Record<string, Record<string, Record<string, unknown> & { requestBody?: { required?: boolean } }>> }).paths ?? {};
  for (const operation of Object.values(paths).flatMap((item) => Object.values(item))) {
    if (!(OPTIONAL_BODY in operation)) continue;
    delete operation[OPTIONAL_BODY];
    if (operation.requestBody) operation.requestBody.required = false;
  }
  return doc;
}

/** The document without component schemas that no operation reaches (directly or through another schema). */
function withoutUnusedSchemas(doc: ReturnType<SwaggerTransformObject>): ReturnType<SwaggerTransformObject> {
  const components = (doc as { components?: { schemas?: Record<string, unknown> } }).components;
  const schemas = components?.schemas;
  if (!schemas) return doc;
  const refsIn = (value: unknown) => [...JSON.stringify(value).matchAll(/"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!);
  const used = new Set<string>();
  const pending = refsIn({ ...doc, components: { ...components, schemas: {} } });
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    if (used.has(name) || !(name in schemas)) continue;
    used.add(name);
    pending.push(...refsIn(schemas[name]));
  }
  const kept = Object.fromEntries(Object.entries(schemas).filter(([name]) => used.has(name)));
  return { ...doc, components: { ...components, schemas: kept } } as typeof doc;
}

/**
 * Limits what customer sessions may write (@fastify/rate-limit): every route a
 * session may call that is not a read gets a per-customer budget of `perMinute`
 * writes; secret keys are never limited. Runs after authentication, so the
 * session's customer is known. The count is kept per process.
 */
async function limitSessionWrites(app: ZodApp, perMinute: number): Promise<void> {
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

/**
 * The path of the first string (or key) holding a NUL character, or null.
 * Walks with its own stack, so no body can overflow the call stack; deeper than
 * MAX_JSON_DEPTH is refused.
 */
function findNul(root: unknown, rootPath: string): string | null {
  const stack: { value: unknown; path: string; depth: number }[] = [{ value: root, path: rootPath, depth: 0 }];
  while (stack.length > 0) {
    const { value, path, depth } = stack.pop()!;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return path;
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth >= MAX_JSON_DEPTH) throw errors.invalid(path || 'body', `is nested more than ${MAX_JSON_DEPTH} levels deep`);
    const entries = Object.entries(value);
    // Pushed in reverse, so the first field is looked at first.
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, inner] = entries[i]!;
      const at = path ? `${path}.${key}` : key;
      if (key.includes('\u0000')) return at;
      stack.push({ value: inner, path: at, depth: depth + 1 });
    }
  }
  return null;
}
