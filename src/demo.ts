import { fileURLToPath } from 'node:url';
import { applyCatalog, readCatalogFile } from './catalog-file.js';
import type { ServiceContext } from './service/context.js';
import { putAlerts } from './service/alerts.js';
import { putCustomer } from './service/customers.js';
import { grantCredits } from './service/grants.js';
import { changePlan } from './service/subscriptions.js';

/** The demo catalog, kept as code like any team's catalog. */
export const DEMO_CATALOG_PATH = fileURLToPath(new URL('../catalog/demo.json', import.meta.url));
export const DEMO_CUSTOMER_ID = 'demo_user';
/** The demo customer's low-balance alert; the demo studio's banner shows below it too (web/src/components/balance.tsx). */
export const DEMO_LOW_BALANCE = 100;

/**
 * Loads the demo catalog and, once, the demo customer: subscribed to Pro, with
 * a welcome bonus and a low-balance alert. Safe to run at every start.
 */
export async function loadDemo(ctx: ServiceContext): Promise<void> {
  await applyCatalog(ctx, readCatalogFile(DEMO_CATALOG_PATH));
  if (await ctx.store.getCustomer(DEMO_CUSTOMER_ID)) return;
  await putCustomer(ctx, DEMO_CUSTOMER_ID, { name: 'Demo User', email: 'demo@example.com' });
  await putAlerts(ctx, DEMO_CUSTOMER_ID, { lowBalance: [DEMO_LOW_BALANCE] });
  await changePlan({ ...ctx, payments: undefined }, DEMO_CUSTOMER_ID, 'pro');
  await grantCredits(ctx, DEMO_CUSTOMER_ID, { amount: 50, source: 'bonus', reason: 'Welcome credits' }, 'demo-welcome', { kind: 'demo' });
}
