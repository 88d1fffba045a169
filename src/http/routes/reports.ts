import { z } from 'zod';
import { errors } from '../../service/errors.js';
import * as reports from '../../service/reports.js';
import type { RouteDeps, ZodApp } from '../deps.js';
import { IsoTime, commonErrors, json } from '../schemas.js';

const DAY_MS = 86_400_000;
const Range = z.strictObject({ from: IsoTime.optional(), to: IsoTime.optional() });

/** [from, to): the last 30 days by default; at most 400 days. */
function range(now: number, q: { from?: number; to?: number }): { from: number; to: number } {
  const to = q.to ?? (Math.floor(now / DAY_MS) + 1) * DAY_MS;
  const from = q.from ?? to - 30 * DAY_MS;
  if (from >= to) throw errors.invalid('from', 'must be before to');
  if (to - from > 400 * DAY_MS) throw errors.invalid('from', 'a report covers at most 400 days');
  return { from, to };
}

const Amounts = { issued: z.number().int(), spent: z.number().int(), refunded: z.number().int(), expired: z.number().int(), voided: z.number().int() };

/** Reports for finance and support: what was issued, spent, refunded and expired, and what is still owed. */
export function reportRoutes(app: ZodApp, { ctx }: RouteDeps): void {
  app.get('/v1/reports/credits', {
    schema: {
      tags: ['reports'],
      operationId: 'getCreditsReport',
      summary: 'Credits issued, spent, refunded, expired and voided per day',
      description: 'UTC days in [`from`, `to`): the last 30 days by default, at most 400.',
      querystring: Range,
      response: { 200: json('One row per day, and the totals', z.object({ days: z.array(z.object({ date: z.string(), ...Amounts })), totals: z.object(Amounts) })), ...commonErrors },
    },
    handler: async (req) => {
      const { from, to } = range(ctx.clock.now(), req.query);
      return reports.creditsByDay(ctx, from, to);
    },
  });
  app.get('/v1/reports/tools', {
    schema: {
      tags: ['reports'],
      operationId: 'getToolsReport',
      summary: 'Spend and failed-generation rate per tool',
      description: 'Generations reserved in [`from`, `to`) (the last 30 days by default), per tool: how many completed, failed or still run, and the credits charged and refunded.',
      querystring: Range,
      response: {
        200: json('One row per tool', z.object({
          tools: z.array(
            z.object({
              toolId: z.string(),
              name: z.string(),
              generations: z.number().int(),
              completed: z.number().int(),
              failed: z.number().int(),
              reserved: z.number().int(),
              failureRate: z.number().nullable(),
              creditsCharged: z.number().int(),
              creditsRefunded: z.number().int(),
            }),
          ),
        })),
        ...commonErrors,
      },
    },
    handler: async (req) => {
      const { from, to } = range(ctx.clock.now(), req.query);
      return { tools: await reports.toolsReport(ctx, from, to) };
    },
  });
  app.get('/v1/reports/members', {
    schema: {
      tags: ['reports'],
      operationId: 'getMembersReport',
      summary: 'Spend per team member',
      description:
        'Generations reserved in [`from`, `to`) (the last 30 days by default) that name a team member, per team and member: how many, and the credits charged, refunded and spent (charged less refunded), the biggest spenders first. The console exports it as CSV.',
      querystring: Range,
      response: {
        200: json('One row per team member', z.object({
          members: z.array(
            z.object({
              customerId: z.string(),
              memberId: z.string(),
              name: z.string().nullable(),
              generations: z.number().int(),
              creditsCharged: z.number().int(),
              creditsRefunded: z.number().int(),
              creditsSpent: z.number().int(),
            }),
          ),
        })),
        ...commonErrors,
      },
    },
    handler: async (req) => {
      const { from, to } = range(ctx.clock.now(), req.query);
      return { members: await reports.membersReport(ctx, from, to) };
    },
  });
  app.get('/v1/reports/outstanding', {
    schema: {
      tags: ['reports'],
      operationId: 'getOutstandingReport',
      summary: 'Credits the app still owes its users, by source',
      description: 'Available credits of every customer now, by grant source, plus what running generations hold.',
      response: {
        200: json('Outstanding credits', z.object({ bySource: z.array(z.object({ source: z.string(), available: z.number().int() })), reserved: z.number().int(), total: z.number().int() })),
        ...commonErrors,
      },
    },
    handler: async () => reports.outstanding(ctx),
  });
}
