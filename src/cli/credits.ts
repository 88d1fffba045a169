import { parseArgs } from 'node:util';
import { GrantBody, VoidBody } from '../http/routes/grants.js';
import type { ServiceContext } from '../service/context.js';
import { errors } from '../service/errors.js';
import { getBalance } from '../service/customers.js';
import { grantCredits, voidGrant } from '../service/grants.js';
import { CliError, type CliIo } from './context.js';
import type { z } from 'zod';

/**
 * `purse grant CUSTOMER AMOUNT --reason TEXT [--source bonus|adjustment] [--expires-at ISO] [--idempotency-key KEY]`:
 * an operator's grant, through the same service call (and the same validation) as `POST /v1/customers/{id}/grants`.
 */
export async function grantCommand(ctx: ServiceContext, io: CliIo, args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { reason: { type: 'string' }, source: { type: 'string', default: 'bonus' }, 'expires-at': { type: 'string' }, 'idempotency-key': { type: 'string' } },
  });
  const [customerId, amount] = positionals;
  if (!customerId || amount === undefined) throw new CliError('grant needs CUSTOMER AMOUNT --reason TEXT', 2);
  if (values.reason === undefined) throw errors.invalid('reason', 'is required: say why with --reason TEXT');
  const body = parse(GrantBody, {
    amount: Number(amount),
    source: values.source,
    reason: values.reason,
    ...(values['expires-at'] === undefined ? {} : { expiresAt: values['expires-at'] }),
  });
  const answer = await grantCredits(ctx, customerId, body, values['idempotency-key']);
  const g = answer.body;
  io.out(`${answer.replayed ? 'Already granted' : 'Granted'} ${g.amount} ${g.source} credits to ${customerId} as ${g.id}${g.expiresAt ? `, expiring ${new Date(g.expiresAt).toISOString()}` : ''}: ${g.reason}`);
  io.out(`${customerId} now has ${(await getBalance(ctx, customerId)).available} credits available.`);
  return 0;
}

/** `purse void GRANT --reason TEXT`: takes back what is left of a grant, as `POST /v1/grants/{id}/void` does. */
export async function voidCommand(ctx: ServiceContext, io: CliIo, args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { reason: { type: 'string' } } });
  const [grantId] = positionals;
  if (!grantId) throw new CliError('void needs GRANT --reason TEXT', 2);
  if (values.reason === undefined) throw errors.invalid('reason', 'is required: say why with --reason TEXT');
  const { reason } = parse(VoidBody, { reason: values.reason });
  const before = await ctx.store.findGrant(grantId);
  const grant = await voidGrant(ctx, grantId, reason);
  const taken = before && before.voidedAt === null ? before.remaining : 0;
  io.out(`Voided ${grant.id} of ${grant.customerId}: took back ${taken} credits (${reason}).`);
  io.out(`${grant.customerId} now has ${(await getBalance(ctx, grant.customerId)).available} credits available.`);
  return 0;
}

/** Validates with the route's own schema; the first problem names its field, as the API's 400 does. */
function parse<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.join('.') || 'input';
  throw errors.invalid(field === 'expiresAt' ? 'expires-at' : field, issue.message);
}
