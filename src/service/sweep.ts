import type { ServiceContext } from './context.js';
import { catchUpCustomer } from './customers.js';

/**
 * The background half of Rule 7: finds customers with holds that ran out or
 * grants that expired, and catches each up. Returns how many it caught up.
 */
export async function sweepDue(ctx: ServiceContext, batch = 200): Promise<number> {
  let total = 0;
  for (;;) {
    const now = ctx.clock.now();
    const due = await ctx.store.dueCustomers(now, batch);
    for (const customerId of due) await catchUpCustomer(ctx, customerId, now);
    total += due.length;
    if (due.length < batch) return total;
  }
}

/** Runs {@link sweepDue} every `intervalMs` until stopped; errors are reported, not fatal. */
export function startSweeper(ctx: ServiceContext, intervalMs: number, onError: (err: unknown) => void): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(() => sweepDue(ctx)).catch(onError);
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
