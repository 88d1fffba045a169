import { putTool } from './service/catalog.js';
import type { ServiceContext } from './service/context.js';
import { putCustomer } from './service/customers.js';
import { grantCredits } from './service/grants.js';

/** The demo catalog: a few tools of different costs. */
export const DEMO_TOOLS = [
  { id: 'background-removal', name: 'Background removal', credits: 1, unit: 'image', description: 'Cut the subject out of a photo.' },
  { id: 'text-to-image', name: 'Text to image', credits: 4, unit: 'image', description: 'One picture from a prompt.' },
  { id: 'avatar', name: 'Avatar', credits: 10, unit: 'generation', description: 'A set of portraits in a chosen style.' },
  { id: 'video', name: 'Video', credits: 2, unit: 'second', description: 'A short clip, priced per second.', holdSeconds: 1800 },
] as const;

export const DEMO_CUSTOMER_ID = 'demo_user';

/** Loads the demo catalog and the demo customer with welcome credits; safe to run at every start. */
export async function loadDemo(ctx: ServiceContext): Promise<void> {
  for (const { id, ...tool } of DEMO_TOOLS) {
    const existing = await ctx.store.getTool(id);
    if (!existing) await putTool(ctx, id, tool);
  }
  if (await ctx.store.getCustomer(DEMO_CUSTOMER_ID)) return;
  await putCustomer(ctx, DEMO_CUSTOMER_ID, { name: 'Demo User', email: 'demo@example.com' });
  await grantCredits(ctx, DEMO_CUSTOMER_ID, { amount: 200, source: 'bonus', reason: 'Welcome credits' }, 'demo-welcome', { kind: 'demo' });
}
