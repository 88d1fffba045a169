/** The API's shapes: the SDK's types (one statement of them), plus what only the demo studio uses. */
export type {
  Alerts,
  AutoTopUp,
  Balance,
  BreakdownLine,
  CreatedWebhookEndpoint,
  CreditsDay,
  Customer,
  EventType,
  Generation,
  Grant,
  GrantSource,
  LedgerEntry,
  LedgerType,
  Limits,
  LimitsState,
  Member,
  MemberSpend,
  Money,
  Outstanding,
  Pack,
  Page,
  Plan,
  Pricing,
  PricingPack,
  PricingPlan,
  PricingTool,
  Purchase,
  PurseEvent,
  RevenueDay,
  RevenueReport,
  Subscription,
  Tool,
  ToolReport,
  WebhookDelivery,
  WebhookEndpoint,
} from '../../../sdk/src/types';

/** `POST /demo/session` (PURSE_DEMO=1 only): the demo customer's session. */
export interface DemoSession {
  token: string;
  customerId: string;
  /** For a team: the member the session is for (issue 15); absent or null for the whole customer. */
  memberId?: string | null;
  expiresAt: string;
}
