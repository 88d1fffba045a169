import type { ServiceContext } from './context.js';
import { catchUpCustomer } from './customers.js';

/**
 * The background half of Rule 7: finds customers with holds that ran out or
 * grants that expired, and catches each up. Returns how many it caught up.
 * One customer's failure is reported and does not stop the others.
 */
export async function sweepDue(ctx: ServiceContext, opts: { batch?: number; onError?: (customerId: string, err: unknown) => void } = {}): Promise<number> {
  const batch = opts.batch ?? 200;
  const failed = new Set<string>();
  let total = 0;
  for (;;) {
    const now = ctx.clock.now();
    const due = (await ctx.store.dueCustomers(now, batch + failed.size)).filter((id) => !failed.has(id));
    for (const customerId of due.slice(0, batch)) {
      try {
        await catchUpCustomer(ctx, customerId, now);
        total++;
      } catch (err) {
        failed.add(customerId);
        opts.onError?.(customerId, err);
      }
    }
    if (due.length < batch) return total;
  }
}

/** Runs {@link sweepDue} every `intervalMs` until stopped; errors are reported, not fatal. */
export function startSweeper(
  ctx: ServiceContext,
  intervalMs: number,
  onError: (err: unknown) => void,
  beforeEach: () => Promise<void> | void = () => {},
): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    running = Promise.resolve(beforeEach())
      .then(() => sweepDue(ctx, { onError: (_id, err) => onError(err) }))
      .catch(onError)
      .finally(() => {
        busy = false;
      });
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
