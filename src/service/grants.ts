import type { Grant, GrantOrigin } from '../domain/types.js';
import type { ServiceContext } from './context.js';
import { errors } from './errors.js';
import { paidWith } from '../domain/money.js';
import { begin } from './generations.js';
import { newId } from './ids.js';
import { replayed, requestHash } from './idempotency.js';
import type { Answer } from './results.js';

export interface GrantInput {
  amount: number;
  source: 'bonus' | 'adjustment';
  /** Epoch ms; must lie in the future. */
  expiresAt?: number | null;
  priority?: number;
  reason: string;
}

/** An operator's grant of bonus or adjustment credits, with a reason. */
export async function grantCredits(
  ctx: ServiceContext,
  customerId: string,
  input: GrantInput,
  idempotencyKey?: string,
  origin: GrantOrigin = { kind: 'operator' },
): Promise<Answer<Grant>> {
  const now = ctx.clock.now();
  if (input.expiresAt != null && input.expiresAt <= now) throw errors.invalid('expiresAt', 'must be in the future');
  const key = idempotencyKey === undefined ? undefined : `grant:${idempotencyKey}`;
  const hash = requestHash(input);
  return ctx.store.transact<Answer<Grant>>(customerId, { now, idempotencyKey: key }, (snapshot) => {
    const work = begin(snapshot, customerId, now, ctx.alerts);
    const again = replayed<Grant>(work, snapshot, key, hash);
    if (again) return again;
    const grant: Grant = {
      id: newId('grt'),
      customerId,
      source: input.source,
      amount: input.amount,
      remaining: input.amount,
      expiresAt: input.expiresAt ?? null,
      priority: input.priority ?? 0,
      createdAt: now,
      voidedAt: null,
      reason: input.reason,
      origin,
      ...paidWith(null),
    };
    work.addGrant(grant);
    const body = { ...grant };
    return work.finish({ statusCode: 201, body, replayed: false }, key ? { key, requestHash: hash, statusCode: 201, response: body } : undefined);
  });
}

/** Takes back what is left of a grant. Voiding twice changes nothing the second time. */
export async function voidGrant(ctx: ServiceContext, grantId: string, reason: string): Promise<Grant> {
  const found = await ctx.store.findGrant(grantId);
  if (!found) throw errors.notFound('grant', grantId);
  const now = ctx.clock.now();
  return ctx.store.transact(found.customerId, { now, grantIds: [grantId] }, (snapshot) => {
    const work = begin(snapshot, found.customerId, now, ctx.alerts);
    const grant = work.grants.get(grantId)!;
    if (grant.voidedAt === null) work.voidGrant(grant, reason);
    return work.finish({ ...grant });
  });
}

export async function listGrants(ctx: ServiceContext, customerId: string): Promise<Grant[]> {
  return ctx.store.listGrants(customerId);
}
