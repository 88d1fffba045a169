import { z } from 'zod';
import { MAX_SESSION_SECONDS, mintSession } from '../../service/auth.js';
import * as customers from '../../service/customers.js';
import * as generations from '../../service/generations.js';
import { listGrants } from '../../service/grants.js';
import { assertCustomerAccess, sessionMember } from '../auth.js';
import * as members from '../../service/members.js';
import type { RouteDeps, ZodApp } from '../deps.js';
import {
  BalanceView,
  CustomerView,
  GenerationView,
  GrantView,
  Id,
  LedgerEntryView,
  Metadata,
  PageQuery,
  commonErrors,
  json,
  paged,
  requestExample,
} from '../schemas.js';
import { view } from '../views.js';

export const PutCustomerBody = z.strictObject({
  name: z.string().trim().min(1).max(200).nullable().optional(),
  email: z.email().max(320).nullable().optional(),
  metadata: Metadata.nullable().optional(),
}).meta(requestExample({ name: 'Ada Lovelace', email: 'ada@example.com', metadata: { team: 'design' } }));
export type PutCustomerBody = z.infer<typeof PutCustomerBody>;

/** No body at all is the same as {}. */
export const SessionBody = z
  .strictObject({
    ttlSeconds: z.number().int().min(60).max(MAX_SESSION_SECONDS).optional(),
    memberId: Id.optional().meta({ description: 'For a team: the member the session is for (it must be a member now)' }),
  })
  .nullish()
  .meta(requestExample({ ttlSeconds: 3600 }));
const CustomerParams = z.object({ customerId: Id });

/** Customers, their sessions, and what they may read of their own credits. */
export function customerRoutes(app: ZodApp, { ctx, auth }: RouteDeps): void {
  app.put('/v1/customers/:customerId', {
    schema: {
      tags: ['customers'],
      operationId: 'putCustomer',
      summary: 'Create or update a customer',
      description: "Names the customer by the app's own id. A customer must exist before anything else names it. Fields left out keep their value.",
      params: CustomerParams,
      body: PutCustomerBody,
      response: { 200: json('The customer, updated', CustomerView), 201: json('The customer, created', CustomerView), ...commonErrors },
    },
    handler: async (req, reply) => {
      const { customer, created } = await customers.putCustomer(ctx, req.params.customerId, req.body);
      return reply.code(created ? 201 : 200).send(view.customer(customer));
    },
  });

  app.get('/v1/customers/:customerId', {
    schema: {
      tags: ['customers'],
      operationId: 'getCustomer',
      summary: 'Get a customer',
      description: 'The customer as last put.',
      params: CustomerParams,
      response: { 200: json('The customer', CustomerView), ...commonErrors },
    },
    handler: async (req) => view.customer(await customers.getCustomer(ctx, req.params.customerId)),
  });

  app.get('/v1/customers', {
    schema: {
      tags: ['customers'],
      operationId: 'searchCustomers',
      summary: 'Search customers by id, email or name',
      description: 'For the operator console: customers whose id, email or name contains `query`, at most `limit` of them.',
      querystring: z.strictObject({ query: z.string().max(200).default(''), limit: z.coerce.number().int().min(1).max(100).default(20) }),
      response: { 200: json('The customers found', z.object({ data: z.array(CustomerView) })), ...commonErrors },
    },
    handler: async (req) => ({ data: (await ctx.store.searchCustomers(req.query.query, req.query.limit)).map(view.customer) }),
  });

  app.post('/v1/customers/:customerId/sessions', {
    schema: {
      tags: ['customers'],
      operationId: 'createCustomerSession',
      summary: 'Mint a customer session for a front end',
      description:
        "Your backend mints it with a secret key and hands it to the customer's browser. The token (`cs_…`, 1 hour by default, at most 24) may read this customer's balance, ledger and generations, read the pricing, and buy packs for this customer. With `memberId` it is one team member's session: it reads the team's balance and pricing, only the generations and ledger entries its member spent, its own usage against its own limits, and — only with role `admin` — every member's usage. It stops working once the member is removed.",
      params: CustomerParams,
      body: SessionBody,
      response: {
        201: json(
          'The session token and when it expires',
          z.object({ token: z.string(), customerId: z.string(), memberId: z.string().nullable(), expiresAt: z.string().meta({ format: 'date-time' }) }),
        ),
        ...commonErrors,
      },
    },
    handler: async (req, reply) => {
      await customers.getCustomer(ctx, req.params.customerId);
      const memberId = req.body?.memberId;
      if (memberId !== undefined) await members.assertActiveMember(ctx, req.params.customerId, memberId);
      const session = mintSession(auth, req.params.customerId, ctx.clock.now(), req.body?.ttlSeconds ?? 3600, memberId);
      return reply
        .code(201)
        .send({ token: session.token, customerId: req.params.customerId, memberId: memberId ?? null, expiresAt: new Date(session.expiresAt).toISOString() });
    },
  });

  app.get('/v1/customers/:customerId/balance', {
    config: { access: 'customer' },
    schema: {
      tags: ['credits'],
      operationId: 'getBalance',
      summary: "A customer's balance and where it comes from",
      description:
        '`available` is what can be reserved now; `reserved` is held by running generations; `breakdown` groups available credits by source and expiry, soonest first. A customer session may read its own.',
      params: CustomerParams,
      response: { 200: json('The balance as of `asOf`', BalanceView), ...commonErrors },
    },
    handler: async (req) => {
      assertCustomerAccess(req, req.params.customerId);
      return view.balance(await customers.getBalance(ctx, req.params.customerId));
    },
  });

  app.get('/v1/customers/:customerId/ledger', {
    config: { access: 'customer' },
    schema: {
      tags: ['credits'],
      operationId: 'listLedgerEntries',
      summary: 'Ledger entries, newest first',
      description:
        "Every change to the customer's credits, never edited or deleted. Pass `nextCursor` as `cursor` for the next page. A customer session may read its own; a team member's session only the entries naming its member.",
      params: CustomerParams,
      querystring: PageQuery,
      response: { 200: json('A page of entries', paged(LedgerEntryView)), ...commonErrors },
    },
    handler: async (req) => {
      assertCustomerAccess(req, req.params.customerId);
      const page = await customers.getLedger(ctx, req.params.customerId, { cursor: req.query.cursor, limit: req.query.limit }, sessionMember(req));
      return { data: page.data.map(view.entry), nextCursor: page.nextCursor };
    },
  });

  app.get('/v1/customers/:customerId/generations', {
    config: { access: 'customer' },
    schema: {
      tags: ['generations'],
      operationId: 'listCustomerGenerations',
      summary: "A customer's generations, newest first",
      description: "Pass `nextCursor` as `cursor` for the next page. A customer session may read its own; a team member's session only its member's.",
      params: CustomerParams,
      querystring: PageQuery,
      response: { 200: json('A page of generations', paged(GenerationView)), ...commonErrors },
    },
    handler: async (req) => {
      assertCustomerAccess(req, req.params.customerId);
      await customers.getCustomer(ctx, req.params.customerId);
      const page = await generations.listGenerations(ctx, req.params.customerId, { cursor: req.query.cursor, limit: req.query.limit }, sessionMember(req));
      return { data: page.data.map(view.generation), nextCursor: page.nextCursor };
    },
  });

  app.get('/v1/customers/:customerId/grants', {
    schema: {
      tags: ['credits'],
      operationId: 'listCustomerGrants',
      summary: "A customer's grants, newest first",
      description: 'Every block of credits the customer was given (plan, add-on, bonus, adjustment), with what remains of each.',
      params: CustomerParams,
      response: { 200: json('The grants', z.object({ data: z.array(GrantView) })), ...commonErrors },
    },
    handler: async (req) => {
      await customers.getCustomer(ctx, req.params.customerId);
      return { data: (await listGrants(ctx, req.params.customerId)).map(view.grant) };
    },
  });
}

