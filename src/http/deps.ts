import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AuthConfig } from '../service/auth.js';
import type { TestClock } from '../service/clock.js';
import type { ServiceContext } from '../service/context.js';
import type { Metrics } from './metrics.js';

/** The Fastify instance routes register on, typed by their zod schemas. */
export type ZodApp = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, ZodTypeProvider>;

/** What route handlers call into. */
export interface RouteDeps {
  ctx: ServiceContext;
  auth: AuthConfig;
  metrics: Metrics;
  /** Present only when the server runs with PURSE_TEST_CLOCK=1. */
  testClock: TestClock | null;
  /** Stripe's webhook signing secret; the webhook route exists only when it is set. */
  stripeWebhookSecret?: string;
  /** PURSE_DEMO=1: the demo studio's routes exist. */
  demo?: boolean;
  /** PURSE_CORS_ORIGINS: pages on these origins may call the customer-session routes. */
  corsOrigins?: string[];
  /** Where the built web app is (web/dist); served at / when it exists. */
  webRoot?: string;
}
