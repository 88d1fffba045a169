import { z } from 'zod';
import { errors } from '../../service/errors.js';
import { sweepDue } from '../../service/sweep.js';
import type { RouteDeps, ZodApp } from '../deps.js';
import { IsoTime, commonErrors, json, requestExample } from '../schemas.js';

const ClockView = z.object({ now: z.string().meta({ format: 'date-time' }) });
export const MoveClockBody = z.union([
  z.strictObject({ advanceSeconds: z.number().int().min(0).max(10 * 366 * 86_400) }),
  z.strictObject({ now: IsoTime }),
]).meta(requestExample({ advanceSeconds: 86_400 }));

/**
 * The test clock (PURSE_TEST_CLOCK=1): billing periods, expiries and hold
 * timeouts follow it. Moving it runs the sweep, so what fell due is applied.
 */
export function testClockRoutes(app: ZodApp, { ctx, testClock }: RouteDeps): void {
  if (!testClock) return;
  app.get('/v1/test-clock', {
    schema: {
      tags: ['test clock'],
      operationId: 'getTestClock',
      summary: 'Read the test clock',
      description: 'Only with PURSE_TEST_CLOCK=1 (otherwise 404). Billing periods, expiries and hold timeouts follow it.',
      response: { 200: json("The server's time", ClockView), ...commonErrors },
    },
    handler: async () => ({ now: new Date(testClock.now()).toISOString() }),
  });
  app.post('/v1/test-clock', {
    schema: {
      tags: ['test clock'],
      operationId: 'moveTestClock',
      summary: 'Move the test clock forward',
      description: 'By `advanceSeconds`, or to `now`; never back. What fell due meanwhile (period starts, expiries, hold timeouts) is applied before it answers.',
      body: MoveClockBody,
      response: { 200: json("The server's new time", ClockView), ...commonErrors },
    },
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
