import type { MoneyLine } from '../domain/money.js';
import type { AutoTopUp } from '../domain/auto-top-up.js';
import type { RefundUsage } from '../domain/refunds.js';
import type { AlertSettings, EventType, PurseEvent, WebhookAttempt, WebhookDelivery, WebhookEndpoint } from '../domain/events.js';

/** One sent delivery: the attempt made and the delivery's state after it. */
export interface AttemptResult {
  attempt: WebhookAttempt;
  delivery: WebhookDelivery;
}

/** What one turn of the delivery worker took: deliveries to send, and events dispatched. */
export interface DeliveryTurn {
  deliveries: WebhookDelivery[];
  /** The events of `deliveries`, read in the same transaction; one that is gone is missing. */
  events: Map<string, PurseEvent>;
  dispatched: number;
  /** No endpoint was enabled: the events taken (at most {@link MAX_EVENTS_MARKED}) were only marked dispatched. */
  noEndpoint?: boolean;
}

/** The most events one delivery turn marks dispatched when no endpoint is enabled to send them to. */
export const MAX_EVENTS_MARKED = 1_000;

/** When an endpoint's failures disable it, and the reason it is given. */
export interface DisableRule {
  maxFailures: number;
  windowMs: number;
  reason: (failed: WebhookAttempt) => string;
}
import type {
  Customer,
  EntryType,
  GenerationStatus,
  GrantSource,
  Generation,
  Grant,
  LedgerEntry,
  Member,
  NewLedgerEntry,
  Pack,
  Plan,
  Purchase,
  Subscription,
  Tool,
  ToolPrice,
} from '../domain/types.js';
import type { AppliedMigration } from './migrations.js';
import type { Limits, SpendWindow } from '../domain/limits.js';

/**
 * What one customer-scoped write needs loaded. The store always loads the
 * customer, its live grants (credits left, not voided) and its reserved
 * generations whose hold has run out at `now`; this names anything more.
 */
export interface CustomerLoad {
  now: number;
  generationIds?: readonly string[];
  grantIds?: readonly string[];
  purchaseIds?: readonly string[];
  /** Plans to load besides the subscription's current and pending ones. */
  planIds?: readonly string[];
  idempotencyKey?: string;
  /**
   * A generation the write creates, named in `generationIds` to be refused if taken:
   * a store may presume it free (with the write's idempotency key) and let its
   * unique keys refuse a duplicate, deciding again on what it then reads.
   */
  newGenerationId?: string;
  /** A team member the write spends as (issue 15): its row is loaded, and the spend windows with it. */
  memberId?: string;
  /**
   * A tool whose price the write fixes (a reservation): read with the rest, so the price a
   * write charges is the one in force when it commits. A store may keep tools in memory, and
   * then checks, as it writes, that the row is unchanged.
   */
  toolId?: string;
}

/** A consistent view of one customer, taken inside the write transaction. */
export interface CustomerSnapshot {
  customer: Customer | null;
  /** Live grants, plus any grant named in the load or used by a loaded generation. */
  grants: Grant[];
  /**
   * Generations named in the load (found by id whichever customer holds it, so a
   * taken id can be refused), plus this customer's reserved ones whose hold is due.
   */
  generations: Generation[];
  idempotency: IdempotencyRecord | null;
  subscription: Subscription | null;
  /** The subscription's current and pending plans, plus any named in the load. */
  plans: Plan[];
  /** Purchases named in the load (found by id whichever customer made it). */
  purchases: Purchase[];
  /**
   * The customer's spend windows of the UTC day and month of `now`, loaded only
   * when limits are in force (its own or its active plan's) or a generation the
   * write settles was counted in them; null when not loaded.
   */
  spendWindows: SpendWindow[] | null;
  /** The team members named in the load (removed ones too); absent when none was named. */
  members?: Member[];
  /** The tool named in the load, null when there is none of that id; absent when none was named. */
  tool?: Tool | null;
  /**
   * Generation ids named in the load that another customer holds with no generation
   * yet: a store that claims ids before writing them (PostgreSQL on Citus) may find
   * one claimed whose write is in flight or was lost. Taken all the same.
   */
  generationIdsTaken?: string[];
}

/** The first answer to a write, kept so that a retry gets it again (Rule 12). */
export interface IdempotencyRecord {
  key: string;
  requestHash: string;
  statusCode: number;
  response: unknown;
  createdAt: number;
}

/** Everything one customer-scoped write changes; applied in one transaction. */
export interface CustomerChanges {
  insertGrants: Grant[];
  updateGrants: Grant[];
  insertGenerations: Generation[];
  updateGenerations: Generation[];
  ledger: NewLedgerEntry[];
  idempotency: IdempotencyRecord | null;
  /** The customer's subscription as it should now be stored (insert or replace). */
  subscription: Subscription | null;
  insertPurchases: Purchase[];
  updatePurchases: Purchase[];
  /** Events of these changes, in order; the store numbers them after the customer's last. */
  events: PurseEvent[];
  /** Spend windows as they should now be stored (upserted whole). */
  spendWindows: SpendWindow[];
  /** The change to the customer's open holds (reserved generations). */
  inFlightDelta: number;
  /** What changed on the customer's own row, or null. */
  customer: CustomerUpdate | null;
}

/** The customer row's fields a write may change: what the write's rules keep there (auto top-up and its state, refund allowances used); written whole. */
export interface CustomerUpdate {
  autoTopUp: AutoTopUp | null;
  refundUsage: RefundUsage | null;
}

export interface Decision<R> {
  changes: CustomerChanges;
  result: R;
}

export interface Page {
  /** Return items strictly before this cursor (exclusive), newest first. */
  before?: string;
  limit: number;
}

export interface EventFilter {
  customerId?: string;
  type?: EventType;
}

/** What the ledger check found: one line per disagreement, none when all is well. */
export interface AuditReport {
  customers: number;
  grants: number;
  entries: number;
  problems: string[];
}

export interface ApiKeyRecord {
  id: string;
  name: string;
  prefix: string;
  hash: string;
  createdAt: number;
  revokedAt: number | null;
}

/** How the write engine has grouped writes: `commits` transactions (or purse_apply calls) carried `writes` writes. */
export interface WriteStats {
  commits: number;
  writes: number;
  /** Decisions made again because another process wrote the customer first (PostgreSQL). */
  conflicts: number;
  /** Writes decided on the state the write engine kept instead of a snapshot read for them (PostgreSQL). */
  fromKeptState?: number;
}

/** What an adapter can do, so the service asks rather than checks which one it is. */
export interface StoreCapabilities {
  /** Several processes may share the database (false for an in-memory one). */
  multiProcess: boolean;
}

/**
 * Purse's persistence. Every customer-scoped write goes through {@link Store.transact}:
 * the store loads a snapshot, the service decides (pure, synchronous), the store
 * writes the decision, all in one transaction that serializes writes per customer.
 */
export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  readonly capabilities: StoreCapabilities;
  migrate(): Promise<void>;
  /** The migrations this database has applied (none on a fresh one), for `purse migrate --status`. */
  appliedMigrations(): Promise<AppliedMigration[]>;
  /** The checksum of each repeatable SQL file (a function's definition) as last applied. */
  appliedFunctions(): Promise<Map<string, string>>;
  close(): Promise<void>;
  /** How this process's writes were grouped into commits, for /metrics and the bench. */
  writeStats(): WriteStats;

  /**
   * Runs `decide` against a snapshot of one customer and writes what it returns,
   * atomically. If `decide` throws, nothing is written and the error propagates.
   * `decide` must be synchronous and free of IO; an adapter may call it again.
   */
  transact<R>(customerId: string, load: CustomerLoad, decide: (snapshot: CustomerSnapshot) => Decision<R>): Promise<R>;
  /**
   * Calls `listener` after each write of `transact` whose decision wrote events,
   * once it has committed (now and then also after one that did not commit: a
   * listener only looks), so the webhook delivery worker looks at once rather
   * than at its next poll. One listener; a second replaces the first.
   */
  onEventsWritten(listener: () => void): void;

  putCustomer(customer: Customer): Promise<Customer>;
  getCustomer(id: string): Promise<Customer | null>;
  searchCustomers(query: string, limit: number): Promise<Customer[]>;

  /** Creates or updates a tool, recording a price history line when its price changes. */
  putTool(tool: Tool): Promise<Tool>;
  getTool(id: string): Promise<Tool | null>;
  listTools(): Promise<Tool[]>;
  toolPrices(toolId: string): Promise<ToolPrice[]>;

  putPlan(plan: Plan): Promise<Plan>;
  getPlan(id: string): Promise<Plan | null>;
  listPlans(): Promise<Plan[]>;
  putPack(pack: Pack): Promise<Pack>;
  getPack(id: string): Promise<Pack | null>;
  listPacks(): Promise<Pack[]>;

  getSubscription(customerId: string): Promise<Subscription | null>;
  findSubscriptionByRef(providerRef: string): Promise<Subscription | null>;
  getPurchase(id: string): Promise<Purchase | null>;
  /** A purchase by its provider's checkout or payment reference. */
  findPurchaseByRef(ref: string): Promise<Purchase | null>;
  listPurchases(customerId: string, page: Page): Promise<Purchase[]>;

  getGeneration(id: string): Promise<Generation | null>;
  /** A customer's generations, newest first; only those one team member spent when `memberId` is given. */
  listGenerations(customerId: string, page: Page, memberId?: string): Promise<Generation[]>;
  findGrant(id: string): Promise<Grant | null>;
  listGrants(customerId: string): Promise<Grant[]>;
  /** A customer's ledger, newest first; only the entries naming one team member when `memberId` is given. */
  listLedger(customerId: string, page: Page, memberId?: string): Promise<LedgerEntry[]>;

  /**
   * Creates or replaces a team member's row (issue 15), ordered after the team's
   * writes in flight (a reservation decided on the old row is decided again).
   */
  putMember(member: Member): Promise<void>;
  getMember(customerId: string, memberId: string): Promise<Member | null>;
  /** A team's members in id order, removed ones too. */
  listMembers(customerId: string): Promise<Member[]>;
  /** Credits charged and refunded per team and member for generations created in [from, to) that name a member. */
  reportSpendByMember(from: number, to: number): Promise<{ customerId: string; memberId: string; name: string | null; generations: number; charged: number; refunded: number }[]>;

  /** The live grants and the reserved total, read without a write transaction. */
  readBalance(customerId: string, now: number): Promise<{ grants: Grant[]; reserved: number; holdsDue: boolean; subscription: Subscription | null }>;
  /**
   * Customers with something due at `now`: a hold that ran out, a grant that
   * expired with credits left, or a subscription period that ended.
   */
  dueCustomers(now: number, limit: number): Promise<string[]>;
  /** Credits moved per UTC day (day number = epoch ms / 86,400,000) and entry type, in [from, to). */
  reportLedgerByDay(from: number, to: number): Promise<{ day: number; type: EntryType; amount: number }[]>;
  /**
   * Money moved in `currency` per UTC day in [from, to) and line of the books
   * (Rule 19); `day` null sums everything before `from`, for the opening deferred.
   * `reversed` is revenue given back by refunds of charged credits (negative).
   */
  reportMoneyByDay(from: number, to: number, currency: string): Promise<{ day: number | null; line: MoneyLine | 'reversed'; money: number }[]>;
  /** Generations per tool and status created in [from, to), with credits charged and refunded. */
  reportGenerationsByTool(from: number, to: number): Promise<{ toolId: string; status: GenerationStatus; count: number; charged: number; refunded: number }[]>;
  /** What the app still owes its users: available credits by source at `now`, and credits held. */
  reportOutstanding(now: number): Promise<{ bySource: { source: GrantSource; available: number }[]; reserved: number }>;
  /** Recomputes every grant and every customer's reserved credits from the ledger. */
  audit(): Promise<AuditReport>;
  /**
   * Forgets up to `limit` idempotency records made before `before` (the oldest
   * first) and returns how many it forgot. Ledger, grants and generations stay.
   */
  pruneIdempotency(before: number, limit: number): Promise<number>;

  /** Sets (or, with null, clears) a customer's own spend limits; orders after the customer's writes in flight. */
  setCustomerLimits(customerId: string, limits: Limits | null, reason: string | null): Promise<void>;
  /** A customer's spend windows starting at any of `starts`, read without a write transaction. */
  readSpendWindows(customerId: string, starts: readonly number[]): Promise<SpendWindow[]>;
  /** Auto top-up purchases not yet sent to the provider, oldest first (a cross-customer job: the top-up worker's). */
  pendingTopUps(limit: number): Promise<Purchase[]>;
  /** Remembers the payment provider's customer (Stripe `cus_…`) whose saved card pays top-ups. */
  setPaymentCustomerRef(customerId: string, ref: string): Promise<void>;
  /** Sets (or, with null, clears) a customer's own alert settings. */
  setCustomerAlerts(customerId: string, alerts: Partial<AlertSettings> | null): Promise<void>;
  /** Events newest first (by time, then each customer's own order), optionally of one customer or type. */
  listEvents(filter: EventFilter, page: Page): Promise<PurseEvent[]>;
  getEvent(id: string): Promise<PurseEvent | null>;

  putWebhookEndpoint(endpoint: WebhookEndpoint): Promise<void>;
  getWebhookEndpoint(id: string): Promise<WebhookEndpoint | null>;
  listWebhookEndpoints(): Promise<WebhookEndpoint[]>;
  /** Deletes an endpoint and what was still waiting to be sent to it; attempts already made stay. */
  deleteWebhookEndpoint(id: string): Promise<boolean>;
  /** New deliveries of one event (a replay), one per endpoint named. */
  enqueueDeliveries(deliveries: WebhookDelivery[]): Promise<void>;
  /**
   * One turn of the delivery worker, a cross-customer job in one transaction,
   * so a batch of sends costs one commit. First it records the attempts of the
   * batch just sent, each with its delivery's new state, and counts each on its
   * endpoint (disabled after `disable.maxFailures` failures in a row or a
   * failing run of `disable.windowMs`). Then it takes up to `limit` deliveries
   * to send next, each held until `now + leaseMs`: due ones no worker holds
   * (retries, replays, those a stopped worker held), then new ones made from the
   * oldest events not yet dispatched — one per enabled endpoint that wants each
   * event, which is marked dispatched. On PostgreSQL rows another worker holds
   * are skipped, not waited for. With nothing to record and nothing to do it
   * takes no write lock. Answers the deliveries taken and how many events it
   * dispatched (with no endpoint enabled, a turn only marks events).
   */
  deliveryTurn(sent: AttemptResult[], now: number, limit: number, leaseMs: number, disable: DisableRule): Promise<DeliveryTurn>;
  /** An endpoint's attempts, newest first; `before` is `at.id` of the last one seen. */
  listWebhookAttempts(endpointId: string, page: Page): Promise<WebhookAttempt[]>;

  insertApiKey(key: ApiKeyRecord): Promise<void>;
  findApiKeyByHash(hash: string): Promise<ApiKeyRecord | null>;
  listApiKeys(): Promise<ApiKeyRecord[]>;
  revokeApiKey(id: string, at: number): Promise<boolean>;

  /** A process-wide setting, written once (the first writer wins). */
  getOrSetMeta(key: string, init: () => string): Promise<string>;
  getMeta(key: string): Promise<string | null>;
  /** Overwrites a process-wide setting (the shared test clock). */
  setMeta(key: string, value: string): Promise<void>;
}

/** An empty set of changes, to fill in. */
export function noChanges(): CustomerChanges {
  return {
    insertGrants: [],
    updateGrants: [],
    insertGenerations: [],
    updateGenerations: [],
    ledger: [],
    idempotency: null,
    subscription: null,
    insertPurchases: [],
    updatePurchases: [],
    events: [],
    spendWindows: [],
    inFlightDelta: 0,
    customer: null,
  };
}
