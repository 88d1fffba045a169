import { HOUR_MS } from '../domain/time.js';
import type { ServiceContext } from './context.js';
import { catchUpCustomer } from './customers.js';
import { pruneIdempotency } from './idempotency.js';

/** How often, at most, the sweeper forgets expired idempotency records. */
const PRUNE_EVERY_MS = HOUR_MS;

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

/**
 * Runs {@link sweepDue} every `intervalMs` until stopped, and once an hour
 * forgets idempotency records older than `idempotencyDays` (0: never); errors are
 * reported, not fatal.
 */
export function startSweeper(
  ctx: ServiceContext,
  opts: { intervalMs: number; onError: (err: unknown) => void; beforeEach?: () => Promise<void> | void; idempotencyDays?: number },
): { stop(): Promise<void> } {
  const { intervalMs, onError, beforeEach = () => {}, idempotencyDays = 0 } = opts;
  let running: Promise<unknown> = Promise.resolve();
  let busy = false;
  let prunedAt = 0;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    running = Promise.resolve(beforeEach())
      .then(async () => {
        if (idempotencyDays > 0 && Date.now() - prunedAt >= PRUNE_EVERY_MS) {
          prunedAt = Date.now();
          await pruneIdempotency(ctx, idempotencyDays).catch(onError);
        }
      })
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
