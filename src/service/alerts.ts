import type { AlertSettings } from '../domain/events.js';
import type { Customer } from '../domain/types.js';
import type { ServiceContext } from './context.js';
import { getCustomer } from './customers.js';
import { errors } from './errors.js';
import { begin } from './generations.js';

/** Used when neither the configuration nor the customer says otherwise. */
export const DEFAULT_ALERTS: AlertSettings = { lowBalance: [], expiringSoonDays: 7 };

/** The most low-balance thresholds a customer may have. */
export const MAX_THRESHOLDS = 10;

/** What applies to a customer: its own settings, the defaults for what it leaves out. */
export function alertSettings(customer: Pick<Customer, 'alerts'>, defaults: AlertSettings): AlertSettings {
  return {
    lowBalance: customer.alerts?.lowBalance ?? defaults.lowBalance,
    expiringSoonDays: customer.alerts?.expiringSoonDays ?? defaults.expiringSoonDays,
  };
}

/** A customer's alert settings as they apply now. */
export async function getAlerts(ctx: ServiceContext, customerId: string): Promise<AlertSettings> {
  return alertSettings(await getCustomer(ctx, customerId), ctx.alerts ?? DEFAULT_ALERTS);
}

/**
 * Sets a customer's own alert settings, then reschedules the expiry
 * announcements of its live grants to the new window.
 */
export async function putAlerts(ctx: ServiceContext, customerId: string, input: Partial<AlertSettings>): Promise<AlertSettings> {
  const customer = await getCustomer(ctx, customerId);
  if (input.lowBalance && new Set(input.lowBalance).size !== input.lowBalance.length) throw errors.invalid('lowBalance', 'must not repeat a threshold');
  const own = { ...(customer.alerts ?? {}), ...input };
  await ctx.store.setCustomerAlerts(customerId, own);
  const now = ctx.clock.now();
  await ctx.store.transact(customerId, { now }, (snapshot) => {
    const work = begin(snapshot, customerId, now, ctx.alerts);
    work.rescheduleExpiryWarnings();
    return work.finish(undefined);
  });
  return alertSettings({ alerts: own }, ctx.alerts ?? DEFAULT_ALERTS);
}
