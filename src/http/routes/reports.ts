import { z } from 'zod';
import { errors } from '../../service/errors.js';
import * as reports from '../../service/reports.js';
import type { RouteDeps, ZodApp } from '../deps.js';
import { IsoTime, commonErrors, json } from '../schemas.js';
import { DAY_MS } from '../../domain/time.js';

const Range = z.strictObject({ from: IsoTime.optional(), to: IsoTime.optional() });

/** [from, to): the last 30 days by default; at most 400 days. */
function range(now: number, q: { from?: number; to?: number }): { from: number; to: number } {
  const to = q.to ?? (Math.floor(now / DAY_MS) + 1) * DAY_MS;
  const from = q.from ?? to - 30 * DAY_MS;
  if (from >= to) throw errors.invalid('from', 'must be before to');
  if (to - from > 400 * DAY_MS) throw errors.invalid('from', 'a report covers at most 400 days');
  return { from, to };
}

const Money = z.number().int();
const RevenueAmounts = {
  paidIn: Money.meta({ description: 'Money paid for grants made that day: packs bought, plan periods started' }),
  revenue: Money.meta({ description: 'Revenue recognised: credits charged at their cost basis, less what refunds of charged credits reversed' }),
  reversed: Money.meta({ description: 'Of `revenue`, what refunds of charged credits reversed (already taken off)' }),
  refunds: Money.meta({ description: 'Deferred money given back by refunded purchases' }),
  breakage: Money.meta({ description: 'Paid credits that expired unused or were voided by an operator' }),
};
const RevenueQuery = z.strictObject({
  from: IsoTime.optional(),
  to: IsoTime.optional(),
  currency: z.string().regex(/^[a-z]{3}$/, 'must be a lower-case ISO 4217 code such as usd').meta({ description: 'The currency of the books: money of other currencies is not in the report' }),
  format: z.enum(['json', 'csv']).default('json').meta({ description: '`csv`: one line per day (text/csv) instead of JSON' }),
});
export const RevenueReportView = z
  .object({
    currency: z.string(),
    openingDeferred: Money.meta({ description: 'Deferred revenue at the start of `from`' }),
    days: z.array(z.object({ date: z.string(), ...RevenueAmounts, deferred: Money.meta({ description: 'Paid credits not yet spent, at their basis, at the end of the day' }) })),
    totals: z.object({ ...RevenueAmounts, deferred: Money.meta({ description: 'Deferred revenue at the end of the range' }) }),
  })
  .meta({
    id: 'RevenueReport',
    description: 'The books in money per UTC day, in minor units: every day, deferred(end) = deferred(start) + paidIn − revenue − refunds − breakage',
    examples: [
      {
        currency: 'usd',
        openingDeferred: 0,
        days: [
          { date: '2026-11-22', paidIn: 1000, revenue: 333, reversed: 333, refunds: 0, breakage: 0, deferred: 667 },
          { date: '2026-11-23', paidIn: 999, revenue: 399, reversed: 0, refunds: 667, breakage: 0, deferred: 600 },
        ],
        totals: { paidIn: 1999, revenue: 732, reversed: 333, refunds: 667, breakage: 0, deferred: 600 },
      },
    ],
  });

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
  app.get('/v1/reports/revenue', {
    schema: {
      tags: ['reports'],
      operationId: 'getRevenueReport',
      summary: 'Revenue recognised, refunds, breakage and deferred revenue per day, in money',
      description:
        'UTC days in [`from`, `to`) (the last 30 days by default, at most 400) in one `currency`. Every grant carries the money a credit of it cost (a pack\'s price ÷ its credits, a plan period\'s price ÷ its credits; 0 for bonus and adjustment credits); charges recognise revenue at that basis, refunds of charged credits reverse it, expiry is breakage, a refunded purchase gives back its deferred money. Over all time, paid in = revenue + breakage + refunds + deferred to the minor unit.',
      querystring: RevenueQuery,
      response: {
        200: { description: 'One row per day, and the totals', content: { 'application/json': { schema: RevenueReportView }, 'text/csv': { schema: z.string() } } },
        ...commonErrors,
      },
    },
    handler: async (req, reply) => {
      const { from, to } = range(ctx.clock.now(), req.query);
      const report = await reports.revenueByDay(ctx, from, to, req.query.currency);
      if (req.query.format === 'csv') {
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="revenue-${req.query.currency}.csv"`)
          .send(reports.revenueCsv(report.days));
      }
      return report;
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
