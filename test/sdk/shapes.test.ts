import type { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../src/domain/events.js';
import { STATUS_BY_CODE } from '../../src/http/errors.js';
import type { AttemptView, EndpointView } from '../../src/http/routes/webhook-endpoints.js';
import type * as Server from '../../src/http/schemas.js';
import type * as Sdk from '../../sdk/src/types.js';

/**
 * One checked statement of the API's shapes: the SDK's types (which the SDK may
 * not import from the server) must be what the server's response schemas say,
 * both ways. A field added, dropped or typed differently on one side fails the
 * type check (`npm test` runs tsc first); the runtime half checks the closed
 * sets that both sides spell out.
 */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Out<S extends z.ZodType> = z.output<S>;

const shapes: {
  generation: Same<Out<typeof Server.GenerationView>, Sdk.Generation>;
  balance: Same<Out<typeof Server.BalanceView>, Sdk.Balance>;
  ledgerEntry: Same<Out<typeof Server.LedgerEntryView>, Sdk.LedgerEntry>;
  grant: Same<Out<typeof Server.GrantView>, Sdk.Grant>;
  tool: Same<Out<typeof Server.ToolView>, Sdk.Tool>;
  customer: Same<Out<typeof Server.CustomerView>, Sdk.Customer>;
  purchase: Same<Out<typeof Server.PurchaseView>, Sdk.Purchase>;
  plan: Same<Out<typeof Server.PlanView>, Sdk.Plan>;
  pack: Same<Out<typeof Server.PackView>, Sdk.Pack>;
  subscription: Same<Out<typeof Server.SubscriptionView>, Sdk.Subscription>;
  event: Same<Out<typeof Server.EventView>, Sdk.PurseEvent>;
  alerts: Same<Out<typeof Server.AlertsView>, Sdk.Alerts>;
  limits: Same<Out<typeof Server.LimitsView>, Sdk.LimitsState>;
  member: Same<Out<typeof Server.MemberView>, Sdk.Member>;
  memberInput: Same<import('../../src/http/routes/members.js').PutMemberBody, Sdk.MemberInput>;
  autoTopUp: Same<Out<typeof Server.AutoTopUpView>, Sdk.AutoTopUp>;
  autoTopUpInput: Same<import('../../src/http/routes/auto-top-up.js').AutoTopUpBody, Sdk.AutoTopUpInput>;
  revenue: Same<Out<typeof import('../../src/http/routes/reports.js').RevenueReportView>, Sdk.RevenueReport>;
  endpoint: Same<Out<typeof EndpointView>, Sdk.WebhookEndpoint>;
  attempt: Same<Out<typeof AttemptView>, Sdk.WebhookDelivery>;
  errorCode: Same<keyof typeof STATUS_BY_CODE, Sdk.ErrorCode>;
  eventType: Same<(typeof EVENT_TYPES)[number], Sdk.EventType>;
} = {
  generation: true,
  balance: true,
  ledgerEntry: true,
  grant: true,
  tool: true,
  customer: true,
  purchase: true,
  plan: true,
  pack: true,
  subscription: true,
  event: true,
  alerts: true,
  limits: true,
  member: true,
  memberInput: true,
  autoTopUp: true,
  autoTopUpInput: true,
  revenue: true,
  endpoint: true,
  attempt: true,
  errorCode: true,
  eventType: true,
};

describe("the SDK's types are the server's shapes", () => {
  it('holds for every response the SDK types (checked by the compiler)', () => {
    expect(Object.values(shapes).every((same) => same === true)).toBe(true);
  });
});
