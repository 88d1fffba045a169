import type { FastifyRequest } from 'fastify';
import { authenticate, type AuthConfig, type Principal } from '../service/auth.js';
import type { ServiceContext } from '../service/context.js';
import { errors } from '../service/errors.js';

/**
 * Who may call a route: `public` anyone; `secret` only a secret API key;
 * `customer` a secret key, or the session of the customer the route names.
 */
export type Access = 'public' | 'secret' | 'customer';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : '';
}

/** Runs before the body is read: unknown callers are refused before anything else. */
export async function authenticateRequest(ctx: ServiceContext, config: AuthConfig, request: FastifyRequest): Promise<void> {
  const access = request.routeOptions.config?.access ?? 'secret';
  request.principal = null;
  if (access === 'public') return;
  const principal = await authenticate(ctx, config, bearer(request));
  if (access === 'secret' && principal.kind !== 'secret') throw errors.forbidden('a customer session may not do that; use a secret API key');
  request.principal = principal;
}

/** A session may only touch its own customer; a secret key may touch any. */
export function assertCustomerAccess(request: FastifyRequest, customerId: string): void {
  const p = request.principal;
  if (!p) throw errors.unauthorized();
  if (p.kind === 'session' && p.customerId !== customerId) throw errors.forbidden("a customer session may only see its own customer's credits");
}

/** The team member a session speaks for (issue 15); undefined for a secret key or a whole customer's session. */
export function sessionMember(request: FastifyRequest): string | undefined {
  const p = request.principal;
  return p?.kind === 'session' ? p.member?.id : undefined;
}

/**
 * What a member session may read of one member: its own; every member's only
 * with role `admin`. A secret key, or the team's own session, reads any.
 */
export function assertMemberAccess(request: FastifyRequest, customerId: string, memberId: string): void {
  assertCustomerAccess(request, customerId);
  const p = request.principal;
  if (p?.kind === 'session' && p.member && p.member.id !== memberId && p.member.role !== 'admin') throw errors.forbidden("a member session may only see its own usage; every member's needs role admin");
}

/** Reads of the whole team's members: a secret key, the team's own session, or an admin member's. */
export function assertTeamAdmin(request: FastifyRequest, customerId: string): void {
  assertCustomerAccess(request, customerId);
  const p = request.principal;
  if (p?.kind === 'session' && p.member && p.member.role !== 'admin') throw errors.forbidden("every member's usage needs a member session with role admin");
}

/** A member session reads only the generations its member spent; anyone else with access to the customer reads all. */
export function assertGenerationAccess(request: FastifyRequest, customerId: string, memberId: string | null | undefined): void {
  assertCustomerAccess(request, customerId);
  const own = sessionMember(request);
  if (own !== undefined && memberId !== own) throw errors.forbidden("a member session may only see its own member's generations");
}
