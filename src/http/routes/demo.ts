import { z } from 'zod';
import { DEMO_CUSTOMER_ID } from '../../demo.js';
import { mintSession } from '../../service/auth.js';
import { errors } from '../../service/errors.js';
import * as generations from '../../service/generations.js';
import type { FastifyRequest } from 'fastify';
import type { RouteDeps, ZodApp } from '../deps.js';
import { ErrorResponse, GenerationView, Id, Reason, Units, commonErrors } from '../schemas.js';
import { CompleteBody } from './generations.js';
import { view } from '../views.js';

/** The customer a demo call acts for: only the demo customer, with its own session. */
function sessionCustomer(req: FastifyRequest): string {
  const p = req.principal;
  if (!p || p.kind !== 'session' || p.customerId !== DEMO_CUSTOMER_ID) throw errors.forbidden(`the demo routes take only the session of the demo customer ${DEMO_CUSTOMER_ID}`);
  return p.customerId;
}

/**
 * What an app's own backend does for its signed-in user, for the demo studio
 * only (PURSE_DEMO=1): hand out the demo customer's session, and reserve,
 * complete or fail generations for the session's customer. Real apps do this in
 * their backend with a secret key.
 */
export function demoRoutes(app: ZodApp, { ctx, auth, demo }: RouteDeps): void {
  if (!demo) return;
  app.post('/demo/session', {
    config: { access: 'public' },
    schema: { hide: true, response: { 201: z.object({ token: z.string(), customerId: z.string(), expiresAt: z.string() }) } },
    handler: async (_req, reply) => {
      const s = mintSession(auth, DEMO_CUSTOMER_ID, ctx.clock.now(), 3600);
      return reply.code(201).send({ token: s.token, customerId: DEMO_CUSTOMER_ID, expiresAt: new Date(s.expiresAt).toISOString() });
    },
  });
  app.post('/demo/generations', {
    config: { access: 'customer' },
    schema: {
      hide: true,
      body: z.strictObject({ toolId: Id, units: Units.optional(), prompt: z.string().max(2000).optional() }),
      response: { 201: GenerationView, 402: ErrorResponse, ...commonErrors },
    },
    handler: async (req, reply) => {
      const customerId = sessionCustomer(req);
      const prompt = req.body.prompt?.slice(0, 200);
      const answer = await generations.reserve(ctx, { customerId, toolId: req.body.toolId, units: req.body.units, ...(prompt ? { metadata: { prompt } } : {}) });
      return reply.code(answer.statusCode).send(view.generation(answer.body));
    },
  });
  const own = async (req: FastifyRequest, id: string) => {
    const customerId = sessionCustomer(req);
    await generations.getGeneration(ctx, id, (owner) => {
      if (owner !== customerId) throw errors.forbidden("a customer session may only settle its own generations");
    });
  };
  app.post('/demo/generations/:id/complete', {
    config: { access: 'customer' },
    schema: { hide: true, params: z.object({ id: Id }), body: CompleteBody.optional(), response: { 200: GenerationView, 409: ErrorResponse, ...commonErrors } },
    handler: async (req) => {
      await own(req, req.params.id);
      return view.generation((await generations.complete(ctx, req.params.id, req.body ?? {})).body);
    },
  });
  app.post('/demo/generations/:id/fail', {
    config: { access: 'customer' },
    schema: { hide: true, params: z.object({ id: Id }), body: z.strictObject({ reason: Reason.optional() }).optional(), response: { 200: GenerationView, 409: ErrorResponse, ...commonErrors } },
    handler: async (req) => {
      await own(req, req.params.id);
      return view.generation((await generations.fail(ctx, req.params.id, req.body ?? {})).body);
    },
  });
}
