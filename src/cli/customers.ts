import { parseArgs } from 'node:util';
import { view } from '../http/views.js';
import type { ServiceContext } from '../service/context.js';
import { getBalance, getCustomer } from '../service/customers.js';
import { CliError, type CliIo } from './context.js';

/** The most customers `customers find` lists. */
const MAX_FOUND = 50;

/** `purse customers find QUERY` (id, email or name) and `purse customers show ID` (the customer and its balance). */
export async function customersCommand(ctx: ServiceContext, io: CliIo, args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' } } });
  const [sub, arg] = positionals;
  if (sub === 'find') {
    if (!arg) throw new CliError('customers find needs a QUERY: part of an id, email or name', 2);
    const found = await ctx.store.searchCustomers(arg, MAX_FOUND);
    if (values.json) {
      io.out(JSON.stringify(found.map(view.customer), null, 2));
      return 0;
    }
    if (found.length === 0) io.out(`No customer matches "${arg}".`);
    for (const c of found) io.out(`${c.id}  ${c.email ?? '-'}  ${c.name ?? '-'}`);
    return 0;
  }
  if (sub === 'show') {
    if (!arg) throw new CliError('customers show needs a customer ID', 2);
    const customer = await getCustomer(ctx, arg);
    const balance = await getBalance(ctx, arg);
    if (values.json) {
      io.out(JSON.stringify({ customer: view.customer(customer), balance: view.balance(balance) }, null, 2));
      return 0;
    }
    io.out(`${customer.id}  ${customer.email ?? '-'}  ${customer.name ?? '-'}`);
    io.out(`  available ${balance.available}, reserved ${balance.reserved}`);
    for (const line of balance.breakdown) {
      io.out(`  ${line.source.padEnd(10)} ${String(line.available).padStart(8)}  ${line.expiresAt === null ? 'never expires' : `expires ${new Date(line.expiresAt).toISOString()}`}`);
    }
    const sub = balance.subscription;
    if (sub) io.out(`  plan ${sub.planId} (${sub.status}), period ends ${new Date(sub.currentPeriodEnd).toISOString()}${sub.cancelAtPeriodEnd ? ', then cancels' : ''}`);
    return 0;
  }
  throw new CliError('customers takes find QUERY or show ID', 2);
}
