import type {
  Alerts,
  AutoTopUp,
  AutoTopUpInput,
  Balance,
  CreatedWebhookEndpoint,
  CreditsReport,
  Customer,
  ErrorCode,
  EventType,
  FailureReason,
  Generation,
  Grant,
  LedgerEntry,
  Limits,
  LimitsState,
  Member,
  MemberInput,
  MemberSpend,
  Outstanding,
  Pack,
  Page,
  Plan,
  Pricing,
  Purchase,
  PurseEvent,
  RefundPolicy,
  Subscription,
  SubscriptionChange,
  RevenueReport,
  Tool,
  ToolPrice,
  ToolReport,
  WebhookDelivery,
  WebhookEndpoint,
} from './types.js';

export type * from './types.js';
export { verifyWebhook, WebhookVerificationError, type VerifyWebhookOptions, type WebhookHeaders } from './webhooks.js';

/**
 * An error answer from Purse. Branch on `code` (the contract's closed set:
 * `insufficient_credits`, `spend_limit_reached`, `too_many_in_flight`, `generation_settled`, `idempotency_conflict`,
 * `not_found`, `invalid_request` …), never on the message.
 */
export class PurseError extends Error {
  constructor(
    /** The HTTP status of the answer. */
    readonly status: number,
    readonly code: ErrorCode | (string & {}),
    message: string,
    /**
     * `insufficient_credits` carries `available` and `required`; `spend_limit_reached` carries `scope`, `window`,
     * `limit`, `used` and `required`; `too_many_in_flight` carries `limit` and `inFlight`; `invalid_request` carries `field`.
     */
    readonly details: Record<string, unknown> | undefined,
    /** Purse's id for the request, to quote when asking about it. */
    readonly requestId: string | undefined,
  ) {
    super(message);
    this.name = 'PurseError';
  }
}

/** A 429 that is the customer's in-flight cap rather than a rate limit: retrying would only wait. */
function isRefusal(status: number, text: string): boolean {
  if (status !== 429) return false;
  try {
    return (JSON.parse(text) as { error?: { code?: string } }).error?.code === 'too_many_in_flight';
  } catch {
    return false;
  }
}

/** What the client needs of `fetch`; the global one fits. */
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string; signal?: AbortSignal },
) => Promise<{ status: number; ok: boolean; headers: { get(name: string): string | null }; text(): Promise<string> }>;

export interface PurseOptions {
  /** Where Purse listens, e.g. `http://127.0.0.1:3000`. */
  baseUrl: string;
  /** A secret API key (`sk_…`), or a customer session token for a front end. */
  apiKey: string;
  /** Time limit of each attempt; default 10 s. */
  timeoutMs?: number;
  /** How many times a request that is safe to repeat is retried after a network error, 429 or 5xx; default 2. */
  retries?: number;
  /** The first retry waits about this long, each next one twice as long (with jitter); default 200 ms. */
  retryDelayMs?: number;
  fetch?: FetchLike;
}

export interface GenerateOptions {
  units?: number;
  /** The generation's id (its idempotency key); one is made when not given. */
  id?: string;
  metadata?: Metadata;
  /** How long each extension keeps the credits held; default 300 s. */
  holdSeconds?: number;
  /** How often the hold is extended while the job runs; default a third of holdSeconds. */
  extendEverySeconds?: number;
}

/** What a job may return: fewer units than reserved are charged if it says so. */
export interface JobResult<T> {
  value: T;
  units?: number;
}

/** Up to 50 keys of 1–40 characters; values are short strings, numbers, booleans or null. */
export type Metadata = Record<string, string | number | boolean | null>;

export interface PageQuery {
  cursor?: string;
  /** 1–100; default 20. */
  limit?: number;
}

export interface EventQuery extends PageQuery {
  customerId?: string;
  type?: EventType;
}

/** `[from, to)` as ISO 8601 instants; the last 30 days when not given. */
export interface ReportRange {
  from?: string;
  to?: string;
}

interface RequestOptions {
  /** True when repeating the request cannot do twice what it does once. */
  retry?: boolean;
  idempotencyKey?: string;
}

const MAX_RETRY_DELAY_MS = 10_000;

/**
 * A client for Purse's HTTP API: one method per route, plus `generate`.
 *
 * @example
 * const purse = new Purse({ baseUrl: 'http://127.0.0.1:3000', apiKey: process.env.PURSE_API_KEY! });
 * const { result } = await purse.generate('u_42', 'text-to-image', async () => render(prompt), { units: 2 });
 */
export class Purse {
  private readonly baseUrl: string;
  private readonly apiKey: string;
  private readonly fetch: FetchLike;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly retryDelayMs: number;

  constructor(options: PurseOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.apiKey = options.apiKey;
    this.fetch = options.fetch ?? ((url, init) => globalThis.fetch(url, init));
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.retries = options.retries ?? 2;
    this.retryDelayMs = options.retryDelayMs ?? 200;
  }

  // Catalog

  putTool(
    id: string,
    tool: { name: string; credits: number; unit?: string; description?: string | null; holdSeconds?: number; refundPolicy?: RefundPolicy | null; reportWindowHours?: number; active?: boolean },
  ): Promise<Tool> {
    return this.request('PUT', `/v1/tools/${enc(id)}`, tool);
  }
  getTool(id: string): Promise<Tool> {
    return this.request('GET', `/v1/tools/${enc(id)}`);
  }
  async listTools(): Promise<Tool[]> {
    return (await this.request<{ data: Tool[] }>('GET', '/v1/tools')).data;
  }
  /** Every price the tool has had, with when each took effect. */
  async toolPrices(id: string): Promise<ToolPrice[]> {
    return (await this.request<{ data: ToolPrice[] }>('GET', `/v1/tools/${enc(id)}/prices`)).data;
  }
  putPlan(
    id: string,
    plan: {
      name: string;
      creditsPerPeriod: number;
      price: { amount: number; currency: string };
      period?: Plan['period'];
      rollover?: { max: number };
      freeRetriesPerPeriod?: number | null;
      maxReportsPerDay?: number | null;
      description?: string | null;
      active?: boolean;
    },
  ): Promise<Plan> {
    return this.request('PUT', `/v1/plans/${enc(id)}`, plan);
  }
  async listPlans(): Promise<Plan[]> {
    return (await this.request<{ data: Plan[] }>('GET', '/v1/plans')).data;
  }
  putPack(
    id: string,
    pack: { name: string; credits: number; price: { amount: number; currency: string }; expiresInDays?: number | null; description?: string | null; active?: boolean },
  ): Promise<Pack> {
    return this.request('PUT', `/v1/packs/${enc(id)}`, pack);
  }
  async listPacks(): Promise<Pack[]> {
    return (await this.request<{ data: Pack[] }>('GET', '/v1/packs')).data;
  }
  /** Public (no key needed): active plans, packs and tools with their costs. */
  pricing(): Promise<Pricing> {
    return this.request('GET', '/v1/pricing');
  }

  // Customers

  putCustomer(id: string, customer: { name?: string | null; email?: string | null; metadata?: Record<string, unknown> | null } = {}): Promise<Customer> {
    return this.request('PUT', `/v1/customers/${enc(id)}`, customer);
  }
  getCustomer(id: string): Promise<Customer> {
    return this.request('GET', `/v1/customers/${enc(id)}`);
  }
  /** Customers whose id, email or name matches `query`. */
  async searchCustomers(query: string, limit?: number): Promise<Customer[]> {
    return (await this.request<{ data: Customer[] }>('GET', `/v1/customers${search({ query, limit })}`)).data;
  }
  /**
   * A customer session for a front end: it may read this customer's credits and buy packs for it.
   * With `memberId`, one team member's session: the team's balance, its own generations and usage.
   */
  createSession(customerId: string, ttlSeconds?: number, memberId?: string): Promise<{ token: string; customerId: string; memberId: string | null; expiresAt: string }> {
    return this.request('POST', `/v1/customers/${enc(customerId)}/sessions`, defined({ ttlSeconds, memberId }), { retry: true });
  }

  // Teams

  /** Adds or updates a member of a team customer; it then reserves from the team's pool by naming `memberId`. */
  putMember(teamId: string, memberId: string, member: MemberInput = {}): Promise<Member> {
    return this.request('PUT', `/v1/customers/${enc(teamId)}/members/${enc(memberId)}`, member, { retry: true });
  }
  /** One member with its usage this UTC day and month. */
  getMember(teamId: string, memberId: string): Promise<Member> {
    return this.request('GET', `/v1/customers/${enc(teamId)}/members/${enc(memberId)}`);
  }
  /** Every member of a team (removed ones too), each with its usage this UTC day and month. */
  async listMembers(teamId: string): Promise<Member[]> {
    return (await this.request<{ data: Member[] }>('GET', `/v1/customers/${enc(teamId)}/members`)).data;
  }
  /** Removes a member: it can no longer reserve; its history stays. */
  removeMember(teamId: string, memberId: string): Promise<Member> {
    return this.request('DELETE', `/v1/customers/${enc(teamId)}/members/${enc(memberId)}`, undefined, { retry: true });
  }
  /** Low-balance thresholds and how early expiring credits are announced, for one customer. */
  getAlerts(customerId: string): Promise<Alerts> {
    return this.request('GET', `/v1/customers/${enc(customerId)}/alerts`);
  }
  putAlerts(customerId: string, alerts: Partial<Alerts>): Promise<Alerts> {
    return this.request('PUT', `/v1/customers/${enc(customerId)}/alerts`, alerts);
  }
  /** The spend limits in force (the customer's own, else its plan's, field by field) and what is used of the current UTC day and month. */
  getLimits(customerId: string): Promise<LimitsState> {
    return this.request('GET', `/v1/customers/${enc(customerId)}/limits`);
  }
  /** Replaces the customer's own limits whole (`{}` clears them); `reason` is kept with them. */
  setLimits(customerId: string, limits: Limits & { reason?: string }): Promise<LimitsState> {
    return this.request('PUT', `/v1/customers/${enc(customerId)}/limits`, limits);
  }

  /** A customer's auto top-up: settings, this month's top-ups, state. A customer session may read its own. */
  getAutoTopUp(customerId: string): Promise<AutoTopUp> {
    return this.request('GET', `/v1/customers/${enc(customerId)}/auto-top-up`);
  }

  /** Sets a customer's auto top-up (secret key); enabled below the threshold, it buys at once. */
  setAutoTopUp(customerId: string, input: AutoTopUpInput): Promise<AutoTopUp> {
    return this.request('PUT', `/v1/customers/${enc(customerId)}/auto-top-up`, input);
  }

  // Subscriptions

  /** Subscribes, or changes plan: an upgrade starts now, a downgrade at the period's end; naming the current plan resumes it. */
  subscribe(customerId: string, planId: string, opts: { reason?: string } = {}): Promise<SubscriptionChange> {
    return this.request('PUT', `/v1/customers/${enc(customerId)}/subscription`, { planId, ...defined({ reason: opts.reason }) });
  }
  getSubscription(customerId: string): Promise<Subscription> {
    return this.request('GET', `/v1/customers/${enc(customerId)}/subscription`);
  }
  /** Cancels at the end of the current period; the credits stay usable until then. */
  cancelSubscription(customerId: string, opts: { reason?: string } = {}): Promise<Subscription> {
    return this.request('DELETE', `/v1/customers/${enc(customerId)}/subscription`, opts.reason === undefined ? undefined : { reason: opts.reason }, { retry: true });
  }

  // Credits

  balance(customerId: string): Promise<Balance> {
    return this.request('GET', `/v1/customers/${enc(customerId)}/balance`);
  }
  ledger(customerId: string, page: PageQuery = {}): Promise<Page<LedgerEntry>> {
    return this.request('GET', `/v1/customers/${enc(customerId)}/ledger${search(page)}`);
  }
  /** Every ledger entry, newest first, fetched page by page. */
  ledgerEntries(customerId: string, limit = 100): AsyncGenerator<LedgerEntry> {
    return pages((cursor) => this.ledger(customerId, { limit, cursor }));
  }
  async listGrants(customerId: string): Promise<Grant[]> {
    return (await this.request<{ data: Grant[] }>('GET', `/v1/customers/${enc(customerId)}/grants`)).data;
  }
  /** An operator grant, with a reason; safe to retry (an idempotency key is made when not given). */
  grant(
    customerId: string,
    grant: { amount: number; source: 'bonus' | 'adjustment'; reason: string; expiresAt?: string | null; priority?: number },
    idempotencyKey: string = newId(),
  ): Promise<Grant> {
    return this.request('POST', `/v1/customers/${enc(customerId)}/grants`, grant, { retry: true, idempotencyKey });
  }
  /** Takes back what is left of a grant; voiding it again answers the voided grant. */
  voidGrant(grantId: string, reason: string): Promise<Grant> {
    return this.request('POST', `/v1/grants/${enc(grantId)}/void`, { reason }, { retry: true });
  }

  // Purchases

  /** Buys a pack: paid at once by the sandbox, or a `checkoutUrl` from Stripe. Safe to retry with its idempotency key. */
  buyPack(customerId: string, packId: string, idempotencyKey: string = newId()): Promise<Purchase> {
    return this.request('POST', `/v1/customers/${enc(customerId)}/purchases`, { packId }, { retry: true, idempotencyKey });
  }
  listPurchases(customerId: string, page: PageQuery = {}): Promise<Page<Purchase>> {
    return this.request('GET', `/v1/customers/${enc(customerId)}/purchases${search(page)}`);
  }
  getPurchase(id: string): Promise<Purchase> {
    return this.request('GET', `/v1/purchases/${enc(id)}`);
  }
  /** Refunds a sandbox purchase: takes back what is left of its credits. */
  refundPurchase(id: string, reason: string): Promise<Purchase> {
    return this.request('POST', `/v1/purchases/${enc(id)}/refund`, { reason }, { retry: true });
  }

  // Generations

  /**
   * Reserves the cost of a generation. Its id is made here when not given, so a retry repeats the same reservation.
   * `memberId`: a member of the team `customerId` spends, within its own limits.
   * `retryOf` names a failed or reported generation this one retries: free while the plan's free retries last (`freeRetry`).
   */
  reserve(input: { customerId: string; toolId: string; units?: number; id?: string; metadata?: Metadata; memberId?: string; retryOf?: string }): Promise<Generation> {
    return this.request('POST', '/v1/generations', { ...defined(input), id: input.id ?? newId() }, { retry: true });
  }
  /** Charges the reserved credits, or those of fewer `units`; the difference goes back. */
  complete(id: string, units?: number): Promise<Generation> {
    return this.request('POST', `/v1/generations/${enc(id)}/complete`, defined({ units }), { retry: true });
  }
  /**
   * Fails a generation: the tool's refund policy for `reason` says what part of the cost goes back.
   * Free text as `reason` is kept as `other` with the text as the message.
   */
  fail(id: string, reason?: FailureReason | (string & {}), message?: string): Promise<Generation> {
    return this.request('POST', `/v1/generations/${enc(id)}/fail`, defined({ reason, message }), { retry: true });
  }
  /**
   * Reports a completed generation's result as bad, within the tool's report window: refunds the tool's
   * `bad_result` percent of the charge, once (`already_reported`, `report_window_closed`, `report_limit_reached`).
   */
  report(id: string, input: { note?: string } = {}, idempotencyKey: string = newId()): Promise<Generation> {
    return this.request('POST', `/v1/generations/${enc(id)}/report`, defined({ reason: 'bad_result', note: input.note }), { retry: true, idempotencyKey });
  }
  /** Keeps the credits held for `holdSeconds` from now. */
  extend(id: string, holdSeconds: number): Promise<Generation> {
    return this.request('POST', `/v1/generations/${enc(id)}/extend`, { holdSeconds }, { retry: true });
  }
  /** An operator refund of a completed generation: all that is left of the charge, or `amount` of it. */
  refund(id: string, input: { reason: string; amount?: number }, idempotencyKey: string = newId()): Promise<Generation> {
    return this.request('POST', `/v1/generations/${enc(id)}/refund`, defined(input), { retry: true, idempotencyKey });
  }
  getGeneration(id: string): Promise<Generation> {
    return this.request('GET', `/v1/generations/${enc(id)}`);
  }
  listGenerations(customerId: string, page: PageQuery = {}): Promise<Page<Generation>> {
    return this.request('GET', `/v1/customers/${enc(customerId)}/generations${search(page)}`);
  }

  /**
   * Runs a job as one generation: reserves its credits (refused with
   * `insufficient_credits` before the job starts), keeps extending the hold while
   * it runs, completes on success — for fewer units if the job returns
   * `{ value, units }` — and on a throw fails the generation, giving every credit
   * back, and rethrows the job's own error.
   */
  async generate<T>(
    customerId: string,
    toolId: string,
    job: (ctx: { generation: Generation; signal: AbortSignal }) => Promise<T | JobResult<T>>,
    opts: GenerateOptions = {},
  ): Promise<{ generation: Generation; result: T }> {
    const generation = await this.reserve({ customerId, toolId, units: opts.units, id: opts.id ?? newId(), metadata: opts.metadata });
    const holdSeconds = opts.holdSeconds ?? 300;
    const every = (opts.extendEverySeconds ?? holdSeconds / 3) * 1000;
    const controller = new AbortController();
    let extending = Promise.resolve();
    const timer = setInterval(() => {
      extending = extending.then(() => this.extend(generation.id, holdSeconds).then(() => undefined, () => undefined));
    }, every);
    let output: T | JobResult<T>;
    try {
      output = await job({ generation, signal: controller.signal });
    } catch (err) {
      clearInterval(timer);
      controller.abort();
      await extending;
      const reason = (err instanceof Error ? err.message : String(err)).trim().slice(0, 500) || 'the job failed';
      await this.fail(generation.id, reason).catch(() => undefined);
      throw err;
    }
    clearInterval(timer);
    await extending;
    const wrapped = isJobResult<T>(output) ? output : { value: output as T };
    const completed = await this.complete(generation.id, wrapped.units);
    return { generation: completed, result: wrapped.value };
  }

  // Events and webhook endpoints

  /** Events, newest first; filter by customer and type. */
  listEvents(query: EventQuery = {}): Promise<Page<PurseEvent>> {
    return this.request('GET', `/v1/events${search(query)}`);
  }
  /** Every event matching `query`, newest first, fetched page by page. */
  allEvents(query: Omit<EventQuery, 'cursor'> = {}): AsyncGenerator<PurseEvent> {
    return pages((cursor) => this.listEvents({ ...query, cursor }));
  }
  getEvent(id: string): Promise<PurseEvent> {
    return this.request('GET', `/v1/events/${enc(id)}`);
  }
  /** Sends an event again to the endpoints subscribed to it (receivers deduplicate on its id). */
  /** Sends an event again, to one endpoint or to every enabled endpoint that takes its type. */
  redeliverEvent(id: string, endpointId?: string): Promise<{ deliveries: { id: string; endpointId: string }[] }> {
    return this.request('POST', `/v1/events/${enc(id)}/redeliver`, endpointId ? { endpointId } : {}, { retry: true });
  }
  /** Registers a URL for signed events (all types when `events` is not given). The answer is the only one that shows the secret. */
  createWebhookEndpoint(endpoint: { url: string; events?: EventType[]; description?: string }): Promise<CreatedWebhookEndpoint> {
    // Not retried: the server keeps no idempotency record for endpoints, and a lost answer would make two.
    return this.request('POST', '/v1/webhook-endpoints', endpoint, { retry: false });
  }
  async listWebhookEndpoints(): Promise<WebhookEndpoint[]> {
    return (await this.request<{ data: WebhookEndpoint[] }>('GET', '/v1/webhook-endpoints')).data;
  }
  getWebhookEndpoint(id: string): Promise<WebhookEndpoint> {
    return this.request('GET', `/v1/webhook-endpoints/${enc(id)}`);
  }
  /** Changes the URL or the event types, or enables or disables the endpoint. */
  updateWebhookEndpoint(id: string, change: { url?: string; events?: EventType[] | null; status?: WebhookEndpoint['status'] }): Promise<WebhookEndpoint> {
    return this.request('PATCH', `/v1/webhook-endpoints/${enc(id)}`, change, { retry: true });
  }
  deleteWebhookEndpoint(id: string): Promise<unknown> {
    return this.request('DELETE', `/v1/webhook-endpoints/${enc(id)}`, undefined, { retry: true });
  }
  /** Every attempt to deliver to this endpoint, newest first. */
  listWebhookDeliveries(id: string, page: PageQuery = {}): Promise<Page<WebhookDelivery>> {
    return this.request('GET', `/v1/webhook-endpoints/${enc(id)}/deliveries${search(page)}`);
  }

  // Reports

  creditsReport(range: ReportRange = {}): Promise<CreditsReport> {
    return this.request('GET', `/v1/reports/credits${search(range)}`);
  }
  async toolsReport(range: ReportRange = {}): Promise<ToolReport[]> {
    return (await this.request<{ tools: ToolReport[] }>('GET', `/v1/reports/tools${search(range)}`)).tools;
  }
  /** Spend per team member for generations started in the range (the last 30 days by default). */
  async membersReport(range: ReportRange = {}): Promise<MemberSpend[]> {
    return (await this.request<{ members: MemberSpend[] }>('GET', `/v1/reports/members${search(range)}`)).members;
  }
  /**
   * The books in money per UTC day in one currency: revenue recognised, refunds,
   * breakage, and deferred revenue at the end of each day (minor units).
   */
  revenueReport(range: ReportRange & { currency: string }): Promise<RevenueReport> {
    return this.request('GET', `/v1/reports/revenue${search(range)}`);
  }
  /** The same report as CSV text: a header, then one line per day. */
  revenueReportCsv(range: ReportRange & { currency: string }): Promise<string> {
    return this.request('GET', `/v1/reports/revenue${search({ ...range, format: 'csv' })}`);
  }
  /** What the app still owes its users: available credits by source, and what is held. */
  outstanding(): Promise<Outstanding> {
    return this.request('GET', '/v1/reports/outstanding');
  }

  // Test clock (PURSE_TEST_CLOCK=1 only)

  async getTestClock(): Promise<string> {
    return (await this.request<{ now: string }>('GET', '/v1/test-clock')).now;
  }
  /** Moves the test clock forward and applies what fell due. Never retried: a repeat would move it twice. */
  async moveTestClock(move: { advanceSeconds: number } | { now: string }): Promise<string> {
    return (await this.request<{ now: string }>('POST', '/v1/test-clock', move)).now;
  }

  /**
   * Sends one request. GET, PUT, PATCH, and writes marked `retry` (they carry
   * their id or idempotency key) are retried after a network error, 429 (but `too_many_in_flight`) or 5xx,
   * with the same body and key, at most `retries` times with growing delays.
   */
  private async request<T>(method: string, path: string, body?: unknown, opts: RequestOptions = {}): Promise<T> {
    const retry = method === 'GET' || method === 'PUT' || method === 'PATCH' || opts.retry === true;
    const headers: Record<string, string> = { authorization: `Bearer ${this.apiKey}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (opts.idempotencyKey) headers['idempotency-key'] = opts.idempotencyKey;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    for (let attempt = 0; ; attempt++) {
      const canRetry = retry && attempt < this.retries;
      let res: Awaited<ReturnType<FetchLike>>;
      try {
        res = await this.fetch(`${this.baseUrl}${path}`, {
          method,
          headers,
          ...(payload === undefined ? {} : { body: payload }),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
      } catch (err) {
        if (!canRetry) throw err;
        await sleep(this.delay(attempt));
        continue;
      }
      // too_many_in_flight is a refusal (the customer's cap), not a rate limit: it is answered at once.
      const text = await res.text();
      if ((res.status === 429 || res.status >= 500) && canRetry && !isRefusal(res.status, text)) {
        await sleep(this.delay(attempt, res.headers.get('retry-after')));
        continue;
      }
      // A report asked for as CSV answers text; everything else is JSON.
      if (res.ok) return (res.headers.get('content-type')?.startsWith('text/') ? text : text ? JSON.parse(text) : undefined) as T;
      throw errorFrom(res.status, text);
    }
  }

  /** Exponential backoff with jitter, or the server's Retry-After when it gives one; at most 10 s. */
  private delay(attempt: number, retryAfter?: string | null): number {
    const seconds = retryAfter ? Number(retryAfter) : NaN;
    if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, MAX_RETRY_DELAY_MS);
    const base = this.retryDelayMs * 2 ** attempt;
    return Math.min(base / 2 + Math.random() * base, MAX_RETRY_DELAY_MS);
  }
}

/** A PurseError from an error answer; a body that is not Purse's error shape (a proxy's page) still gives one. */
function errorFrom(status: number, text: string): PurseError {
  let parsed: { error?: { code?: string; message?: string; details?: Record<string, unknown> }; requestId?: string } | undefined;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const e = parsed?.error;
  if (e?.code) return new PurseError(status, e.code, e.message ?? e.code, e.details, parsed?.requestId);
  return new PurseError(status, status >= 500 ? 'internal_error' : 'invalid_request', `HTTP ${status}: ${text.slice(0, 200)}`, undefined, undefined);
}

function isJobResult<T>(v: unknown): v is JobResult<T> {
  return typeof v === 'object' && v !== null && 'value' in v && Object.keys(v).every((k) => k === 'value' || k === 'units');
}

/** Walks a cursor-paged list to its end. */
async function* pages<T>(fetchPage: (cursor: string | undefined) => Promise<Page<T>>): AsyncGenerator<T> {
  for (let cursor: string | undefined; ; ) {
    const page = await fetchPage(cursor);
    yield* page.data;
    if (!page.nextCursor) return;
    cursor = page.nextCursor;
  }
}

/** The object without its undefined fields, so they are not sent. */
function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** A query string of the fields that are set: `?cursor=…&limit=…`, or nothing. */
function search(params: object): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

const enc = encodeURIComponent;
const newId = () => globalThis.crypto.randomUUID();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
