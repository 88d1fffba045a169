import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Customer, Generation, Grant, LedgerEntry, Pack, Plan, Purchase, Subscription, Tool, ToolPrice } from '../../domain/types.js';
import { compareWithLedger, MALFORMED_ENTRIES_SQL } from '../audit.js';
import { decodeAttemptCursor, decodeEventCursor, decodeGenerationCursor } from '../cursor.js';
import { attemptParams, deliveryParams, endpointFailedParams, endpointParams, newDelivery, toAttempt, toDelivery, toEndpoint, WEBHOOK_SQL as W } from '../webhook-queries.js';
import { endpointWants, type AlertSettings, type EventType, type PurseEvent, type WebhookAttempt, type WebhookDelivery, type WebhookEndpoint } from '../../domain/events.js';
import { loadMigrations } from '../migrations.js';
import type {
  ApiKeyRecord,
  AuditReport,
  CustomerLoad,
  CustomerSnapshot,
  Decision,
  Page,
  Store,
  StoreCapabilities,
  CustomerChanges,
  EventFilter,
  AttemptResult,
} from '../store.js';
import * as rows from '../rows.js';

type Statement = Database.Statement<unknown[], Record<string, unknown>>;

interface PendingWrite {
  customerId: string;
  load: CustomerLoad;
  decide: (s: CustomerSnapshot) => Decision<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** The most writes one commit takes; more wait for the next. */
const MAX_GROUP = 256;

/**
 * The embedded store: one SQLite file in WAL mode with `synchronous=FULL`, so an
 * acknowledged write survives power loss. Writers take the database lock at
 * BEGIN (IMMEDIATE), which serializes every customer's writes, across processes too.
 */
export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  readonly capabilities: StoreCapabilities;
  private readonly db: Database.Database;
  private readonly cache = new Map<string, Statement>();
  private readonly pending: PendingWrite[] = [];
  private flushScheduled = false;

  /** `path` is a file path or `:memory:`. */
  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('busy_timeout = 10000');
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.capabilities = { multiProcess: path !== ':memory:' };
    this.runOne = this.db.transaction((write: PendingWrite) => {
      const { changes, result } = write.decide(this.snapshot(write.customerId, write.load));
      this.apply(write.customerId, changes);
      return result;
    });
    this.runGroup = this.db.transaction((group: PendingWrite[]) =>
      group.map((write): Outcome => {
        try {
          return { ok: true, value: this.runOne(write) };
        } catch (error) {
          return { ok: false, error };
        }
      }),
    );
  }

  private sql(text: string): Statement {
    let stmt = this.cache.get(text);
    if (!stmt) {
      stmt = this.db.prepare(text) as Statement;
      this.cache.set(text, stmt);
    }
    return stmt;
  }

  async migrate(): Promise<void> {
    this.db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
    const apply = this.db.transaction(() => {
      const done = new Set((this.db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version));
      for (const m of loadMigrations('sqlite')) {
        if (done.has(m.version)) continue;
        this.db.exec(m.sql);
        this.db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
      }
    });
    // IMMEDIATE takes the write lock first, so processes starting together migrate one at a time.
    apply.immediate();
  }

  async close(): Promise<void> {
    while (this.pending.length > 0) this.flush();
    this.db.close();
  }

  /**
   * Group commit: every write that arrives while the event loop is busy joins one
   * transaction, committed (and fsynced) once; each is answered only after that
   * commit. Each write runs under its own savepoint, so one that fails is undone
   * alone and its neighbours still commit.
   */
  transact<R>(customerId: string, load: CustomerLoad, decide: (s: CustomerSnapshot) => Decision<R>): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ customerId, load, decide, resolve, reject } as PendingWrite);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** How many writes joined each commit, for the bench and /metrics. */
  readonly groupStats = { commits: 0, writes: 0 };

  private flush(): void {
    this.flushScheduled = false;
    const group = this.pending.splice(0, MAX_GROUP);
    if (this.pending.length > 0) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
    if (group.length === 0) return;
    let outcomes: Outcome[];
    try {
      outcomes = this.runGroup.immediate(group);
    } catch (error) {
      // The commit itself failed: nothing of the group was written.
      for (const write of group) write.reject(error);
      return;
    }
    this.groupStats.commits++;
    this.groupStats.writes += group.length;
    group.forEach((write, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) write.resolve(outcome.value);
      else write.reject(outcome.error);
    });
  }

  /** One write inside the group's transaction; better-sqlite3 nests it as a savepoint. */
  private readonly runOne: (write: PendingWrite) => unknown;
  /** The group's transaction: each write's outcome, whatever the others' were. */
  private readonly runGroup: Database.Transaction<(group: PendingWrite[]) => Outcome[]>;

  private apply(customerId: string, changes: CustomerChanges): void {
    for (const g of changes.insertGrants) {
      this.sql(`INSERT INTO grants (customer_id, id, source, amount, remaining, expires_at, priority, created_at, voided_at, reason, origin, warn_at)
                VALUES (@customer_id, @id, @source, @amount, @remaining, @expires_at, @priority, @created_at, @voided_at, @reason, @origin, @warn_at)`).run(
        rows.grantParams(g),
      );
    }
    for (const g of changes.updateGrants) {
      this.sql('UPDATE grants SET remaining = ?, voided_at = ?, expires_at = ?, reason = ?, warn_at = ? WHERE customer_id = ? AND id = ?').run(
        g.remaining, g.voidedAt, g.expiresAt, g.reason, g.warnAt ?? null, g.customerId, g.id,
      );
    }
    for (const g of changes.insertGenerations) {
      this.sql(`INSERT INTO generations (customer_id, id, tool_id, units, unit_credits, cost, status, allocations, charged_units, charged, refunded,
                  metadata, hold_until, failure_reason, created_at, settled_at)
                VALUES (@customer_id, @id, @tool_id, @units, @unit_credits, @cost, @status, @allocations, @charged_units, @charged, @refunded,
                  @metadata, @hold_until, @failure_reason, @created_at, @settled_at)`).run(rows.generationParams(g));
    }
    for (const g of changes.updateGenerations) {
      this.sql(`UPDATE generations SET status = @status, charged_units = @charged_units, charged = @charged, refunded = @refunded,
                  hold_until = @hold_until, failure_reason = @failure_reason, settled_at = @settled_at
                WHERE customer_id = @customer_id AND id = @id`).run(rows.generationParams(g));
    }
    for (const e of changes.ledger) {
      this.sql(`INSERT INTO ledger_entries (customer_id, type, grant_id, source, generation_id, tool_id, amount, available_delta, reserved_delta, reason, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
        e.customerId, e.type, e.grantId, e.source, e.generationId, e.toolId, e.amount, e.availableDelta, e.reservedDelta, e.reason, e.createdAt,
      );
    }
    if (changes.subscription) {
      this.sql(`INSERT OR REPLACE INTO subscriptions (customer_id, id, plan_id, status, driven_by, anchor, period_index, current_period_start,
                  current_period_end, cancel_at_period_end, pending_plan_id, provider_ref, created_at, updated_at, canceled_at, change_reason, period_grant_id)
                VALUES (@customer_id, @id, @plan_id, @status, @driven_by, @anchor, @period_index, @current_period_start,
                  @current_period_end, @cancel_at_period_end, @pending_plan_id, @provider_ref, @created_at, @updated_at, @canceled_at, @change_reason,
                  @period_grant_id)`).run(
        rows.subscriptionParams(changes.subscription),
      );
    }
    for (const p of changes.insertPurchases) {
      this.sql(`INSERT INTO purchases (customer_id, id, pack_id, credits, price_amount, price_currency, expires_in_days, status, provider,
                  provider_ref, payment_ref, checkout_url, grant_id, created_at, paid_at, refunded_at)
                VALUES (@customer_id, @id, @pack_id, @credits, @price_amount, @price_currency, @expires_in_days, @status, @provider,
                  @provider_ref, @payment_ref, @checkout_url, @grant_id, @created_at, @paid_at, @refunded_at)`).run(rows.purchaseParams(p));
    }
    for (const p of changes.updatePurchases) {
      this.sql(`UPDATE purchases SET status = @status, provider_ref = @provider_ref, payment_ref = @payment_ref, checkout_url = @checkout_url,
                  grant_id = @grant_id, paid_at = @paid_at, refunded_at = @refunded_at
                WHERE customer_id = @customer_id AND id = @id`).run(rows.purchaseParams(p));
    }
    if (changes.events.length > 0) {
      let seq = Number(this.sql('SELECT coalesce(max(seq), 0) AS seq FROM events WHERE customer_id = ?').get(customerId)!.seq);
      for (const e of changes.events) {
        this.sql('INSERT INTO events (customer_id, seq, id, type, created_at, data) VALUES (?, ?, ?, ?, ?, ?)').run(
          customerId, ++seq, e.id, e.type, e.createdAt, JSON.stringify(e.data),
        );
      }
    }
    const idem = changes.idempotency;
    if (idem) {
      this.sql('INSERT INTO idempotency_keys (customer_id, key, request_hash, status_code, response, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(
        customerId, idem.key, idem.requestHash, idem.statusCode, JSON.stringify(idem.response), idem.createdAt,
      );
    }
  }

  private snapshot(customerId: string, load: CustomerLoad): CustomerSnapshot {
    const customerRow = this.sql('SELECT * FROM customers WHERE id = ?').get(customerId);
    const grants = new Map<string, Grant>();
    for (const r of this.sql('SELECT * FROM grants WHERE customer_id = ? AND remaining > 0 AND voided_at IS NULL').all(customerId)) {
      const g = rows.toGrant(r);
      grants.set(g.id, g);
    }
    const generations = new Map<string, Generation>();
    for (const id of load.generationIds ?? []) {
      const r = this.sql('SELECT * FROM generations WHERE id = ?').get(id);
      if (r) generations.set(id, rows.toGeneration(r));
    }
    for (const r of this.sql("SELECT * FROM generations WHERE customer_id = ? AND status = 'reserved' AND hold_until <= ?").all(customerId, load.now)) {
      const g = rows.toGeneration(r);
      generations.set(g.id, g);
    }
    const wanted = new Set(load.grantIds ?? []);
    for (const gen of generations.values()) if (gen.customerId === customerId) for (const a of gen.allocations) wanted.add(a.grantId);
    for (const id of wanted) {
      if (grants.has(id)) continue;
      const r = this.sql('SELECT * FROM grants WHERE customer_id = ? AND id = ?').get(customerId, id);
      if (r) grants.set(id, rows.toGrant(r));
    }
    let idempotency: CustomerSnapshot['idempotency'] = null;
    if (load.idempotencyKey !== undefined) {
      const r = this.sql('SELECT * FROM idempotency_keys WHERE customer_id = ? AND key = ?').get(customerId, load.idempotencyKey);
      if (r) {
        idempotency = {
          key: r.key as string,
          requestHash: r.request_hash as string,
          statusCode: Number(r.status_code),
          response: JSON.parse(r.response as string),
          createdAt: Number(r.created_at),
        };
      }
    }
    const subRow = this.sql('SELECT * FROM subscriptions WHERE customer_id = ?').get(customerId);
    const subscription = subRow ? rows.toSubscription(subRow) : null;
    const planIds = new Set(load.planIds ?? []);
    if (subscription) {
      planIds.add(subscription.planId);
      if (subscription.pendingPlanId) planIds.add(subscription.pendingPlanId);
    }
    const plans: Plan[] = [];
    for (const id of planIds) {
      const r = this.sql('SELECT * FROM plans WHERE id = ?').get(id);
      if (r) plans.push(rows.toPlan(r));
    }
    const purchases: Purchase[] = [];
    for (const id of load.purchaseIds ?? []) {
      const r = this.sql('SELECT * FROM purchases WHERE id = ?').get(id);
      if (r) purchases.push(rows.toPurchase(r));
    }
    return {
      customer: customerRow ? rows.toCustomer(customerRow) : null,
      grants: [...grants.values()],
      generations: [...generations.values()],
      idempotency,
      subscription,
      plans,
      purchases,
    };
  }

  async putCustomer(c: Customer): Promise<Customer> {
    const r = this.sql(`INSERT INTO customers (id, name, email, metadata, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
                        ON CONFLICT (id) DO UPDATE SET name = excluded.name, email = excluded.email, metadata = excluded.metadata, updated_at = excluded.updated_at
                        RETURNING *`).get(c.id, c.name, c.email, c.metadata ? JSON.stringify(c.metadata) : null, c.createdAt, c.updatedAt);
    return rows.toCustomer(r!);
  }

  async getCustomer(id: string): Promise<Customer | null> {
    const r = this.sql('SELECT * FROM customers WHERE id = ?').get(id);
    return r ? rows.toCustomer(r) : null;
  }

  async searchCustomers(query: string, limit: number): Promise<Customer[]> {
    const like = `%${query.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
    return this.sql(`SELECT * FROM customers WHERE id LIKE ? ESCAPE '\\' OR email LIKE ? ESCAPE '\\' OR name LIKE ? ESCAPE '\\'
                     ORDER BY updated_at DESC LIMIT ?`).all(like, like, like, limit).map(rows.toCustomer);
  }

  async putTool(t: Tool): Promise<Tool> {
    const put = this.db.transaction(() => {
      const before = this.sql('SELECT credits, unit FROM tools WHERE id = ?').get(t.id);
      const r = this.sql(`INSERT INTO tools (id, name, credits, unit, description, hold_seconds, active, created_at, updated_at)
                          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                          ON CONFLICT (id) DO UPDATE SET name = excluded.name, credits = excluded.credits, unit = excluded.unit,
                            description = excluded.description, hold_seconds = excluded.hold_seconds, active = excluded.active, updated_at = excluded.updated_at
                          RETURNING *`).get(t.id, t.name, t.credits, t.unit, t.description, t.holdSeconds, t.active ? 1 : 0, t.createdAt, t.updatedAt);
      if (!before || Number(before.credits) !== t.credits || before.unit !== t.unit) {
        this.sql('INSERT INTO tool_prices (tool_id, credits, unit, effective_at) VALUES (?, ?, ?, ?)').run(t.id, t.credits, t.unit, t.updatedAt);
      }
      return rows.toTool(r!);
    });
    return put.immediate();
  }

  async getTool(id: string): Promise<Tool | null> {
    const r = this.sql('SELECT * FROM tools WHERE id = ?').get(id);
    return r ? rows.toTool(r) : null;
  }

  async listTools(): Promise<Tool[]> {
    return this.sql('SELECT * FROM tools ORDER BY credits, id').all().map(rows.toTool);
  }

  async toolPrices(toolId: string): Promise<ToolPrice[]> {
    return this.sql('SELECT * FROM tool_prices WHERE tool_id = ? ORDER BY seq').all(toolId).map(rows.toToolPrice);
  }

  async putPlan(p: Plan): Promise<Plan> {
    const r = this.sql(`INSERT INTO plans (id, name, credits_per_period, period, price_amount, price_currency, rollover_max, description, active, created_at, updated_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT (id) DO UPDATE SET name = excluded.name, credits_per_period = excluded.credits_per_period, period = excluded.period,
                          price_amount = excluded.price_amount, price_currency = excluded.price_currency, rollover_max = excluded.rollover_max,
                          description = excluded.description, active = excluded.active, updated_at = excluded.updated_at
                        RETURNING *`).get(p.id, p.name, p.creditsPerPeriod, p.period, p.price.amount, p.price.currency, p.rolloverMax, p.description, p.active ? 1 : 0, p.createdAt, p.updatedAt);
    return rows.toPlan(r!);
  }

  async getPlan(id: string): Promise<Plan | null> {
    const r = this.sql('SELECT * FROM plans WHERE id = ?').get(id);
    return r ? rows.toPlan(r) : null;
  }

  async listPlans(): Promise<Plan[]> {
    return this.sql('SELECT * FROM plans ORDER BY price_amount, id').all().map(rows.toPlan);
  }

  async putPack(p: Pack): Promise<Pack> {
    const r = this.sql(`INSERT INTO packs (id, name, credits, price_amount, price_currency, expires_in_days, description, active, created_at, updated_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT (id) DO UPDATE SET name = excluded.name, credits = excluded.credits, price_amount = excluded.price_amount,
                          price_currency = excluded.price_currency, expires_in_days = excluded.expires_in_days, description = excluded.description,
                          active = excluded.active, updated_at = excluded.updated_at
                        RETURNING *`).get(p.id, p.name, p.credits, p.price.amount, p.price.currency, p.expiresInDays, p.description, p.active ? 1 : 0, p.createdAt, p.updatedAt);
    return rows.toPack(r!);
  }

  async getPack(id: string): Promise<Pack | null> {
    const r = this.sql('SELECT * FROM packs WHERE id = ?').get(id);
    return r ? rows.toPack(r) : null;
  }

  async listPacks(): Promise<Pack[]> {
    return this.sql('SELECT * FROM packs ORDER BY price_amount, id').all().map(rows.toPack);
  }

  async getSubscription(customerId: string): Promise<Subscription | null> {
    const r = this.sql('SELECT * FROM subscriptions WHERE customer_id = ?').get(customerId);
    return r ? rows.toSubscription(r) : null;
  }

  async findSubscriptionByRef(providerRef: string): Promise<Subscription | null> {
    const r = this.sql('SELECT * FROM subscriptions WHERE provider_ref = ? LIMIT 1').get(providerRef);
    return r ? rows.toSubscription(r) : null;
  }

  async getPurchase(id: string): Promise<Purchase | null> {
    const r = this.sql('SELECT * FROM purchases WHERE id = ? LIMIT 1').get(id);
    return r ? rows.toPurchase(r) : null;
  }

  async findPurchaseByRef(ref: string): Promise<Purchase | null> {
    const r = this.sql('SELECT * FROM purchases WHERE provider_ref = ? OR payment_ref = ? LIMIT 1').get(ref, ref);
    return r ? rows.toPurchase(r) : null;
  }

  async listPurchases(customerId: string, page: Page): Promise<Purchase[]> {
    const cursor = decodeGenerationCursor(page.before);
    const list = cursor
      ? this.sql(`SELECT * FROM purchases WHERE customer_id = ? AND (created_at < ? OR (created_at = ? AND id < ?))
                  ORDER BY created_at DESC, id DESC LIMIT ?`).all(customerId, cursor.createdAt, cursor.createdAt, cursor.id, page.limit)
      : this.sql('SELECT * FROM purchases WHERE customer_id = ? ORDER BY created_at DESC, id DESC LIMIT ?').all(customerId, page.limit);
    return list.map(rows.toPurchase);
  }

  async getGeneration(id: string): Promise<Generation | null> {
    const r = this.sql('SELECT * FROM generations WHERE id = ? LIMIT 1').get(id);
    return r ? rows.toGeneration(r) : null;
  }

  async listGenerations(customerId: string, page: Page): Promise<Generation[]> {
    const cursor = decodeGenerationCursor(page.before);
    const list = cursor
      ? this.sql(`SELECT * FROM generations WHERE customer_id = ? AND (created_at < ? OR (created_at = ? AND id < ?))
                  ORDER BY created_at DESC, id DESC LIMIT ?`).all(customerId, cursor.createdAt, cursor.createdAt, cursor.id, page.limit)
      : this.sql('SELECT * FROM generations WHERE customer_id = ? ORDER BY created_at DESC, id DESC LIMIT ?').all(customerId, page.limit);
    return list.map(rows.toGeneration);
  }

  async findGrant(id: string): Promise<Grant | null> {
    const r = this.sql('SELECT * FROM grants WHERE id = ? LIMIT 1').get(id);
    return r ? rows.toGrant(r) : null;
  }

  async listGrants(customerId: string): Promise<Grant[]> {
    return this.sql('SELECT * FROM grants WHERE customer_id = ? ORDER BY created_at DESC, id DESC').all(customerId).map(rows.toGrant);
  }

  async listLedger(customerId: string, page: Page): Promise<LedgerEntry[]> {
    const before = page.before === undefined ? Number.MAX_SAFE_INTEGER : Number(page.before);
    return this.sql('SELECT * FROM ledger_entries WHERE customer_id = ? AND id < ? ORDER BY id DESC LIMIT ?')
      .all(customerId, before, page.limit)
      .map(rows.toLedgerEntry);
  }

  async readBalance(customerId: string, now: number) {
    const read = this.db.transaction(() => {
      const grants = this.sql('SELECT * FROM grants WHERE customer_id = ? AND remaining > 0 AND voided_at IS NULL').all(customerId).map(rows.toGrant);
      const held = this.sql("SELECT COALESCE(SUM(cost), 0) AS reserved, COALESCE(MIN(hold_until), 0) AS first_due, COUNT(*) AS n FROM generations WHERE customer_id = ? AND status = 'reserved'").get(customerId)!;
      const sub = this.sql('SELECT * FROM subscriptions WHERE customer_id = ?').get(customerId);
      return {
        grants,
        reserved: Number(held.reserved),
        holdsDue: Number(held.n) > 0 && Number(held.first_due) <= now,
        subscription: sub ? rows.toSubscription(sub) : null,
      };
    });
    return read.deferred();
  }

  async dueCustomers(now: number, limit: number): Promise<string[]> {
    const list = this.sql(`SELECT customer_id FROM generations WHERE status = 'reserved' AND hold_until <= ?
                           UNION SELECT customer_id FROM grants WHERE remaining > 0 AND voided_at IS NULL AND expires_at IS NOT NULL AND expires_at <= ?
                           UNION SELECT customer_id FROM subscriptions WHERE status = 'active' AND driven_by = 'purse' AND current_period_end <= ?
                           UNION SELECT customer_id FROM grants WHERE warn_at IS NOT NULL AND warn_at <= ? AND remaining > 0 AND voided_at IS NULL
                           LIMIT ?`).all(now, now, now, now, limit);
    return list.map((r) => r.customer_id as string);
  }

  async reportLedgerByDay(from: number, to: number) {
    return this.sql(`SELECT created_at / 86400000 AS day, type, SUM(amount) AS amount FROM ledger_entries
                     WHERE created_at >= ? AND created_at < ? GROUP BY day, type ORDER BY day`)
      .all(from, to)
      .map((r) => ({ day: Number(r.day), type: r.type as LedgerEntry['type'], amount: Number(r.amount) }));
  }

  async reportGenerationsByTool(from: number, to: number) {
    return this.sql(`SELECT tool_id, status, COUNT(*) AS n, SUM(charged) AS charged, SUM(refunded) AS refunded FROM generations
                     WHERE created_at >= ? AND created_at < ? GROUP BY tool_id, status`)
      .all(from, to)
      .map((r) => ({ toolId: r.tool_id as string, status: r.status as Generation['status'], count: Number(r.n), charged: Number(r.charged), refunded: Number(r.refunded) }));
  }

  async reportOutstanding(now: number) {
    const bySource = this.sql(`SELECT source, SUM(remaining) AS available FROM grants
                               WHERE remaining > 0 AND voided_at IS NULL AND (expires_at IS NULL OR expires_at > ?) GROUP BY source ORDER BY source`)
      .all(now)
      .map((r) => ({ source: r.source as Grant['source'], available: Number(r.available) }));
    const held = this.sql("SELECT COALESCE(SUM(cost), 0) AS reserved FROM generations WHERE status = 'reserved'").get()!;
    return { bySource, reserved: Number(held.reserved) };
  }

  async audit(): Promise<AuditReport> {
    const read = this.db.transaction(() =>
      compareWithLedger({
        grants: this.db.prepare('SELECT customer_id, id, amount, remaining FROM grants').all().map((r: any) => ({
          customerId: r.customer_id, id: r.id, amount: r.amount, remaining: r.remaining,
        })),
        ledgerByGrant: this.db.prepare(`SELECT customer_id, grant_id, SUM(available_delta) AS available,
                                          SUM(CASE WHEN type = 'grant' THEN amount ELSE 0 END) AS granted,
                                          SUM(CASE WHEN type = 'grant' THEN 1 ELSE 0 END) AS grant_entries
                                        FROM ledger_entries GROUP BY customer_id, grant_id`).all().map((r: any) => ({
          customerId: r.customer_id, grantId: r.grant_id, available: r.available, granted: r.granted, grantEntries: r.grant_entries,
        })),
        generations: this.db.prepare('SELECT customer_id, id, status, cost, charged, refunded FROM generations').all().map((r: any) => ({
          customerId: r.customer_id, id: r.id, status: r.status, cost: r.cost, charged: r.charged, refunded: r.refunded,
        })),
        ledgerByGeneration: this.db.prepare(`SELECT customer_id, generation_id, SUM(reserved_delta) AS reserved,
                                               SUM(CASE type WHEN 'charge' THEN amount WHEN 'refund' THEN -amount ELSE 0 END) AS spent
                                             FROM ledger_entries WHERE generation_id IS NOT NULL GROUP BY customer_id, generation_id`).all().map((r: any) => ({
          customerId: r.customer_id, generationId: r.generation_id, reserved: r.reserved, spent: r.spent,
        })),
        entries: Number((this.db.prepare('SELECT COUNT(*) AS n FROM ledger_entries').get() as { n: number }).n),
        malformedEntries: this.db.prepare(MALFORMED_ENTRIES_SQL).all().map((r: any) => ({
          id: r.id, type: r.type, amount: r.amount, availableDelta: r.available_delta, reservedDelta: r.reserved_delta,
        })),
      }),
    );
    return read.deferred();
  }

  async pruneIdempotency(before: number, limit: number): Promise<number> {
    // Rows are appended in time order, so the oldest are the lowest rowids: look only at the first `limit`
    // rows, without an index on created_at and without scanning the table while holding the write lock.
    return this.sql(`DELETE FROM idempotency_keys WHERE rowid IN
                       (SELECT rowid FROM (SELECT rowid, created_at FROM idempotency_keys ORDER BY rowid LIMIT ?) WHERE created_at < ?)`).run(limit, before).changes;
  }

  async insertApiKey(k: ApiKeyRecord): Promise<void> {
    this.sql('INSERT INTO api_keys (id, name, prefix, hash, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?)').run(k.id, k.name, k.prefix, k.hash, k.createdAt, k.revokedAt);
  }

  async findApiKeyByHash(hash: string): Promise<ApiKeyRecord | null> {
    const r = this.sql('SELECT * FROM api_keys WHERE hash = ?').get(hash);
    return r ? rows.toApiKey(r) : null;
  }

  async listApiKeys(): Promise<ApiKeyRecord[]> {
    return this.sql('SELECT * FROM api_keys ORDER BY created_at').all().map(rows.toApiKey);
  }

  async revokeApiKey(id: string, at: number): Promise<boolean> {
    return this.sql('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(at, id).changes > 0;
  }

  async setCustomerAlerts(customerId: string, alerts: Partial<AlertSettings> | null): Promise<void> {
    this.sql('UPDATE customers SET alerts = ? WHERE id = ?').run(alerts ? JSON.stringify(alerts) : null, customerId);
  }

  async listEvents(filter: EventFilter, page: Page): Promise<PurseEvent[]> {
    const c = decodeEventCursor(page.before);
    if (filter.customerId !== undefined) {
      return this.sql(`SELECT * FROM events WHERE customer_id = ? AND seq < ? AND (? IS NULL OR type = ?) ORDER BY seq DESC LIMIT ?`)
        .all(filter.customerId, c ? c.seq : Number.MAX_SAFE_INTEGER, filter.type ?? null, filter.type ?? null, page.limit)
        .map(rows.toEvent);
    }
    return this.sql(`SELECT * FROM events WHERE (? IS NULL OR type = ?) AND (? IS NULL OR (created_at, customer_id, seq) < (?, ?, ?))
                     ORDER BY created_at DESC, customer_id DESC, seq DESC LIMIT ?`)
      .all(filter.type ?? null, filter.type ?? null, c ? 1 : null, c?.createdAt ?? 0, c?.customerId ?? '', c?.seq ?? 0, page.limit)
      .map(rows.toEvent);
  }

  async getEvent(id: string): Promise<PurseEvent | null> {
    const r = this.sql('SELECT * FROM events WHERE id = ?').get(id);
    return r ? rows.toEvent(r) : null;
  }

  async putWebhookEndpoint(e: WebhookEndpoint): Promise<void> {
    this.sql(W.upsertEndpoint).run(...endpointParams(e));
  }

  async getWebhookEndpoint(id: string): Promise<WebhookEndpoint | null> {
    const r = this.sql(W.getEndpoint).get(id);
    return r ? toEndpoint(r) : null;
  }

  async listWebhookEndpoints(): Promise<WebhookEndpoint[]> {
    return this.sql(W.listEndpoints).all().map(toEndpoint);
  }

  async deleteWebhookEndpoint(id: string): Promise<boolean> {
    const remove = this.db.transaction(() => {
      this.sql(W.dropPendingOf).run(id);
      return this.sql(W.deleteEndpoint).run(id).changes > 0;
    });
    return remove.immediate();
  }

  async dispatchEvents(now: number, limit: number): Promise<number> {
    // A cheap look first, so an idle worker never takes the write lock.
    if (!this.sql(W.anyUndispatched).get()) return 0;
    const dispatch = this.db.transaction(() => {
      const events = this.sql('SELECT customer_id, seq, id, type FROM events WHERE dispatched = 0 ORDER BY created_at LIMIT ?').all(limit);
      const endpoints = this.sql(W.enabledEndpoints).all().map(toEndpoint);
      for (const e of events) {
        for (const endpoint of endpoints) {
          if (!endpointWants(endpoint, e.type as EventType)) continue;
          this.sql(W.insertDelivery).run(...deliveryParams(newDelivery(endpoint.id, e.id as string, e.customer_id as string, now)));
        }
        this.sql(W.markDispatched).run(e.customer_id, e.seq);
      }
      return events.length;
    });
    return dispatch.immediate();
  }

  async enqueueDeliveries(deliveries: WebhookDelivery[]): Promise<void> {
    const insert = this.db.transaction(() => {
      for (const d of deliveries) this.sql(W.insertDelivery).run(...deliveryParams(d));
    });
    insert.immediate();
  }

  async claimDeliveries(now: number, limit: number, leaseMs: number): Promise<WebhookDelivery[]> {
    const claim = this.db.transaction(() =>
      this.sql(W.dueDeliveries)
        .all(now, now, limit)
        .map((r) => {
          this.sql(W.lockDelivery).run(now + leaseMs, r.id);
          return toDelivery(this.sql(W.getDelivery).get(r.id)!);
        }),
    );
    return claim.immediate();
  }

  async recordAttempts(results: AttemptResult[], disable: { maxFailures: number; windowMs: number; reason: (failed: WebhookAttempt) => string }): Promise<void> {
    const record = this.db.transaction(() => {
      for (const { attempt: a, delivery: d } of results) {
        this.sql(W.insertAttempt).run(...attemptParams(a));
        this.sql(W.updateDelivery).run(d.status, d.attempts, d.nextAttemptAt, d.lockedUntil, d.updatedAt, d.id);
        if (a.error === null) this.sql(W.endpointSucceeded).run(a.endpointId);
        else this.sql(W.endpointFailed).run(...endpointFailedParams(a.endpointId, a.at, disable.maxFailures, disable.windowMs, disable.reason(a)));
      }
    });
    record.immediate();
  }

  async listWebhookAttempts(endpointId: string, page: Page): Promise<WebhookAttempt[]> {
    const c = decodeAttemptCursor(page.before);
    return this.sql(W.listAttempts).all(endpointId, c?.at ?? Number.MAX_SAFE_INTEGER, c?.id ?? '', page.limit).map(toAttempt);
  }

  async getMeta(key: string): Promise<string | null> {
    const r = this.sql('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
    return r ? r.value : null;
  }

  async setMeta(key: string, value: string): Promise<void> {
    this.sql('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  async getOrSetMeta(key: string, init: () => string): Promise<string> {
    this.sql('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING').run(key, init());
    return (this.sql('SELECT value FROM meta WHERE key = ?').get(key) as { value: string }).value;
  }
}
