import { z } from 'zod';
import { errors } from '../../service/errors.js';
import { sweepDue } from '../../service/sweep.js';
import type { RouteDeps, ZodApp } from '../deps.js';
import { IsoTime, commonErrors } from '../schemas.js';

const ClockView = z.object({ now: z.string() });
export const MoveClockBody = z.union([
  z.strictObject({ advanceSeconds: z.number().int().min(0).max(10 * 366 * 86_400) }),
  z.strictObject({ now: IsoTime }),
]);

/**
 * The test clock (PURSE_TEST_CLOCK=1): billing periods, expiries and hold
 * timeouts follow it. Moving it runs the sweep, so what fell due is applied.
 */
export function testClockRoutes(app: ZodApp, { ctx, testClock }: RouteDeps): void {
  if (!testClock) return;
  app.get('/v1/test-clock', {
    schema: { tags: ['test clock'], summary: 'Read the test clock', response: { 200: ClockView, ...commonErrors } },
    handler: async () => ({ now: new Date(testClock.now()).toISOString() }),
  });
  app.post('/v1/test-clock', {
    schema: { tags: ['test clock'], summary: 'Move the test clock forward', body: MoveClockBody, response: { 200: ClockView, ...commonErrors } },
    handler: async (req) => {
      const body = req.body;
      if ('now' in body) {
        await testClock.sync();
        if (body.now < testClock.now()) throw errors.invalid('now', 'the test clock only moves forward');
        await testClock.set(body.now);
      } else {
        await testClock.advance(body.advanceSeconds);
      }
      await sweepDue(ctx);
      return { now: new Date(testClock.now()).toISOString() };
    },
  });
}
