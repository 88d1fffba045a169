import { createApiKey } from '../service/auth.js';
import type { ServiceContext } from '../service/context.js';
import { CliError, type CliIo } from './context.js';

/** `purse keys create NAME | list | revoke ID`: secret API keys, shown once when created. */
export async function keysCommand(ctx: ServiceContext, io: CliIo, args: string[]): Promise<number> {
  const [sub, arg] = args;
  if (sub === 'create') {
    if (!arg) throw new CliError('keys create needs a NAME', 2);
    const { id, key } = await createApiKey(ctx, arg);
    io.out(`Created ${id}. The key is shown only now:\n${key}`);
    return 0;
  }
  if (sub === 'list') {
    const keys = await ctx.store.listApiKeys();
    if (keys.length === 0) io.out('No API keys.');
    for (const k of keys) {
      io.out(`${k.id}  ${k.prefix}…  ${k.name}  created ${new Date(k.createdAt).toISOString()}${k.revokedAt ? `  revoked ${new Date(k.revokedAt).toISOString()}` : ''}`);
    }
    return 0;
  }
  if (sub === 'revoke') {
    if (!arg) throw new CliError('keys revoke needs a key ID (see purse keys list)', 2);
    const done = await ctx.store.revokeApiKey(arg, ctx.clock.now());
    if (!done) throw new CliError(`No active key ${arg}.`);
    io.out(`Revoked ${arg}.`);
    return 0;
  }
  throw new CliError('keys takes create NAME, list or revoke ID', 2);
}
