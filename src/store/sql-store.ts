import type { MoneyLine } from '../domain/money.js';
import type { AlertSettings, EventType, PurseEvent, WebhookAttempt, WebhookDelivery, WebhookEndpoint } from '../domain/events.js';
import { endpointWants } from '../domain/events.js';
import type { Customer, Generation, Grant, LedgerEntry, Member, Pack, Plan, Purchase, Subscription, Tool, ToolPrice } from '../domain/types.js';
import type { Limits, SpendWindow } from '../domain/limits.js';
import { DEFAULT_REPORT_WINDOW_HOURS } from '../domain/refunds.js';
import { compareWithLedger, MALFORMED_ENTRIES_SQL } from './audit.js';
import { decodeAttemptCursor, decodeEventCursor, decodeGenerationCursor } from './cursor.js';
import type { AppliedMigration } from './migrations.js';
import * as rows from './rows.js';
import { MAX_EVENTS_MARKED, type ApiKeyRecord, type AttemptResult, type AuditReport, type CustomerSnapshot, type Decision, type DeliveryTurn, type DisableRule, type EventFilter, type Page } from './store.js';
import {
  attemptParams,
  deliveryParams,
  endpointFailedParams,
  endpointParams,
  manyRows,
  newDelivery,
  placeholders,
  toAttempt,
  toDelivery,
  toEndpoint,
  WEBHOOK_SQL as W,
} from './webhook-queries.js';

/** An event named by its id alone (the operator's API, the delivery worker's retries). */
const EVENT_BY_ID = '/* cross-shard: an event named by id alone (operator API, delivery worker), one row */ SELECT * FROM events WHERE id = ? LIMIT 1';

export type Row = Record<string, unknown>;

/** Rows one statement writes at most: ten parameters a row stays well under SQLite's limit of 32,766. */
export const ROWS_A_STATEMENT = 500;

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const parts: T[][] = [];
  for (let i = 0; i < items.length; i += size) parts.push(items.slice(i, i + size));
  return parts;
}

/** `rows`' `value`s grouped by their customer (`customer_id`), in the order met: one statement a customer, one shard each on Citus. */
export function byCustomer<V>(rows: readonly Row[], value: (r: Row) => V): Map<string, V[]> {
  const groups = new Map<string, V[]>();
  for (const r of rows) {
    const group = groups.get(r.customer_id as string);
    if (group) group.push(value(r));
    else groups.set(r.customer_id as string, [value(r)]);
  }
  return groups;
}

async function insertDeliveries(tx: SqlRunner, deliveries: readonly WebhookDelivery[]): Promise<void> {
  for (const part of chunks(deliveries, ROWS_A_STATEMENT)) await tx.run(manyRows.insertDeliveries(part.length), part.flatMap(deliveryParams));
}

/** The three primitives every shared query is written over; SQL uses `?` placeholders. */
export interface SqlRunner {
  all(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Runs a write; answers how many rows it changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
}

/** What the two SQL dialects write differently, as small fragments (the way Kysely's compilers differ). */
export interface SqlDialect {
  /** Appended to a SELECT that takes rows for a write: PostgreSQL's row lock; SQLite already holds the database's. */
  forUpdate: string;
  /** Appended to a SELECT of queue rows several processes may take at once: lock them (of table alias `of`), skipping those another holds. */
  skipLocked: (of?: string) => string;
  /** Appended to the SET of an update of a customer's row outside its write engine, so decisions in flight are made again (PostgreSQL's version). */
  bumpVersion: string;
  /** How a boolean column's true is written (SQLite keeps 1). */
  true: string;
}

/**
 * The queries both adapters run, written once. An adapter gives the primitives
 * (`all`, `run`, a write and a read transaction) and its dialect, and keeps only
 * what truly differs: its write engine (`transact`), migrations, the balance
 * read, and what uses a feature of one database (PostgreSQL's routed
 * generation lookup, SQLite's rowid pruning).
 */
export abstract class SqlStore implements SqlRunner {
  protected abstract readonly dialect: SqlDialect;
  abstract all(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  abstract run(sql: string, params?: readonly unknown[]): Promise<number>;
  /** Runs `work` in one write transaction. `work` may await only the runner it is given. */
  protected abstract inTransaction<T>(work: (tx: SqlRunner) => Promise<T>): Promise<T>;
  /** Runs `work` on one consistent read-only view of the whole database. */
  protected abstract inReadSnapshot<T>(work: (tx: SqlRunner) => Promise<T>): Promise<T>;

  /**
   * Where the delivery worker's own tables are (webhook endpoints, deliveries,
   * attempts): in the database itself, unless an adapter keeps them apart
   * (SQLite: a file of their own, so sending events never takes the ledger's
   * write lock).
   */
  protected get outbox(): SqlRunner {
    return this;
  }

  /** Runs `work` in one write transaction on {@link outbox}'s tables (and, where they share it, the rest). */
  protected inOutboxTransaction<T>(work: (tx: SqlRunner) => Promise<T>): Promise<T> {
    return this.inTransaction(work);
  }

  private eventsListener: (() => void) | null = null;

  onEventsWritten(listener: () => void): void {
    this.eventsListener = listener;
  }

  /** Runs a write through `write` with `decide` watched: when the decision it wrote made events, the listener hears of it after the write. */
  protected async announcingEvents<R>(write: (decide: (s: CustomerSnapshot) => Decision<R>) => Promise<R>, decide: (s: CustomerSnapshot) => Decision<R>): Promise<R> {
    let events = false;
    const result = await write((s) => {
      const decision = decide(s);
      events = decision.changes.events.length > 0;
      return decision;
    });
    if (events) this.eventsListener?.();
    return result;
  }

  protected async one(sql: string, params: readonly unknown[] = []): Promise<Row | null> {
    return (await this.all(sql, params))[0] ?? null;
  }

  async appliedMigrations(): Promise<AppliedMigration[]> {
    if (!(await this.hasTable('schema_migrations'))) return [];
    return (await this.all('SELECT version, name, applied_at FROM schema_migrations ORDER BY version')).map((r) => ({
      version: Number(r.version),
      name: String(r.name),
      appliedAt: Number(r.applied_at),
    }));
  }

  /** Whether a table exists yet (before the first migration, none does). */
  protected abstract hasTable(name: string): Promise<boolean>;

  async putCustomer(c: Customer): Promise<Customer> {
    const r = await this.one(
      `INSERT INTO customers (id, name, email, metadata, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, email = excluded.email, metadata = excluded.metadata, updated_at = excluded.updated_at
       RETURNING *`,
      [c.id, c.name, c.email, c.metadata ? JSON.stringify(c.metadata) : null, c.createdAt, c.updatedAt],
    );
    return rows.toCustomer(r!);
  }

  async getCustomer(id: string): Promise<Customer | null> {
    const r = await this.one('SELECT * FROM customers WHERE id = ?', [id]);
    return r ? rows.toCustomer(r) : null;
  }

  async searchCustomers(query: string, limit: number): Promise<Customer[]> {
    const like = `%${query.toLowerCase().replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
    return (
      await this.all(
        `/* cross-shard: the operator’s search, bounded by its limit */ SELECT * FROM customers WHERE lower(id) LIKE ? ESCAPE '\\' OR lower(email) LIKE ? ESCAPE '\\' OR lower(name) LIKE ? ESCAPE '\\'
         ORDER BY updated_at DESC LIMIT ?`,
        [like, like, like, limit],
      )
    ).map(rows.toCustomer);
  }

  async setCustomerLimits(customerId: string, limits: Limits | null, reason: string | null): Promise<void> {
    await this.run(`UPDATE customers SET limits = ?, limits_reason = ?${this.dialect.bumpVersion} WHERE id = ?`, [limits ? JSON.stringify(limits) : null, reason, customerId]);
  }

  async readSpendWindows(customerId: string, starts: readonly number[]): Promise<SpendWindow[]> {
    if (starts.length === 0) return [];
    return (await this.all(`SELECT * FROM spend_windows WHERE customer_id = ? AND window_start IN (${placeholders(starts.length)})`, [customerId, ...starts])).map(rows.toSpendWindow);
  }

  async pendingTopUps(limit: number): Promise<Purchase[]> {
    return (await this.all(`/* cross-shard: the top-up worker’s search for pending payments, bounded by its limit */ SELECT * FROM purchases WHERE auto_top_up = ${this.dialect.true} AND status = 'pending' AND payment_ref IS NULL ORDER BY created_at LIMIT ?`, [limit])).map(rows.toPurchase);
  }

  async setPaymentCustomerRef(customerId: string, ref: string): Promise<void> {
    await this.run(`UPDATE customers SET payment_customer_ref = ?${this.dialect.bumpVersion} WHERE id = ?`, [ref, customerId]);
  }

  async setCustomerAlerts(customerId: string, alerts: Partial<AlertSettings> | null): Promise<void> {
    // The version moves: a write decided on the customer as it was (PostgreSQL's kept state) is decided again.
    await this.run(`UPDATE customers SET alerts = ?${this.dialect.bumpVersion} WHERE id = ?`, [alerts ? JSON.stringify(alerts) : null, customerId]);
  }

  /** Creates or updates a tool, and records a price history line when its price changes, in one transaction. */
  async putTool(t: Tool): Promise<Tool> {
    return this.inTransaction(async (tx) => {
      const [before] = await tx.all(`SELECT credits, unit FROM tools WHERE id = ?${this.dialect.forUpdate}`, [t.id]);
      const [r] = await tx.all(
        `INSERT INTO tools (id, name, credits, unit, description, hold_seconds, refund_policy, report_window_hours, active, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, credits = excluded.credits, unit = excluded.unit, description = excluded.description,
           hold_seconds = excluded.hold_seconds, refund_policy = excluded.refund_policy, report_window_hours = excluded.report_window_hours,
           active = excluded.active, updated_at = excluded.updated_at
         RETURNING *`,
        [t.id, t.name, t.credits, t.unit, t.description, t.holdSeconds, t.refundPolicy ? JSON.stringify(t.refundPolicy) : null, t.reportWindowHours ?? DEFAULT_REPORT_WINDOW_HOURS, t.active ? 1 : 0, t.createdAt, t.updatedAt],
      );
      if (!before || Number(before.credits) !== t.credits || before.unit !== t.unit) {
        await tx.run('INSERT INTO tool_prices (tool_id, credits, unit, effective_at) VALUES (?, ?, ?, ?)', [t.id, t.credits, t.unit, t.updatedAt]);
      }
      return rows.toTool(r!);
    });
  }

  async getTool(id: string): Promise<Tool | null> {
    const r = await this.one('SELECT * FROM tools WHERE id = ?', [id]);
    return r ? rows.toTool(r) : null;
  }

  async listTools(): Promise<Tool[]> {
    return (await this.all('SELECT * FROM tools ORDER BY credits, id')).map(rows.toTool);
  }

  async toolPrices(toolId: string): Promise<ToolPrice[]> {
    return (await this.all('SELECT * FROM tool_prices WHERE tool_id = ? ORDER BY seq', [toolId])).map(rows.toToolPrice);
  }

  async putPlan(p: Plan): Promise<Plan> {
    const r = await this.one(
      `INSERT INTO plans (id, name, credits_per_period, period, price_amount, price_currency, rollover_max, limits, free_retries_per_period, max_reports_per_day, description, active, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, credits_per_period = excluded.credits_per_period, period = excluded.period,
         price_amount = excluded.price_amount, price_currency = excluded.price_currency, rollover_max = excluded.rollover_max,
         limits = excluded.limits, free_retries_per_period = excluded.free_retries_per_period, max_reports_per_day = excluded.max_reports_per_day,
         description = excluded.description, active = excluded.active, updated_at = excluded.updated_at
       RETURNING *`,
      [p.id, p.name, p.creditsPerPeriod, p.period, p.price.amount, p.price.currency, p.rolloverMax, p.limits ? JSON.stringify(p.limits) : null, p.freeRetriesPerPeriod === undefined ? 0 : p.freeRetriesPerPeriod, p.maxReportsPerDay ?? null, p.description, p.active ? 1 : 0, p.createdAt, p.updatedAt],
    );
    return rows.toPlan(r!);
  }

  async getPlan(id: string): Promise<Plan | null> {
    const r = await this.one('SELECT * FROM plans WHERE id = ?', [id]);
    return r ? rows.toPlan(r) : null;
  }

  async listPlans(): Promise<Plan[]> {
    return (await this.all('SELECT * FROM plans ORDER BY price_amount, id')).map(rows.toPlan);
  }

  async putPack(p: Pack): Promise<Pack> {
    const r = await this.one(
      `INSERT INTO packs (id, name, credits, price_amount, price_currency, expires_in_days, description, active, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, credits = excluded.credits, price_amount = excluded.price_amount,
         price_currency = excluded.price_currency, expires_in_days = excluded.expires_in_days, description = excluded.description,
         active = excluded.active, updated_at = excluded.updated_at
       RETURNING *`,
      [p.id, p.name, p.credits, p.price.amount, p.price.currency, p.expiresInDays, p.description, p.active ? 1 : 0, p.createdAt, p.updatedAt],
    );
    return rows.toPack(r!);
  }

  async getPack(id: string): Promise<Pack | null> {
    const r = await this.one('SELECT * FROM packs WHERE id = ?', [id]);
    return r ? rows.toPack(r) : null;
  }

  async listPacks(): Promise<Pack[]> {
    return (await this.all('SELECT * FROM packs ORDER BY price_amount, id')).map(rows.toPack);
  }

  async getSubscription(customerId: string): Promise<Subscription | null> {
    const r = await this.one('SELECT * FROM subscriptions WHERE customer_id = ?', [customerId]);
    return r ? rows.toSubscription(r) : null;
  }

  async listPurchases(customerId: string, page: Page): Promise<Purchase[]> {
    return (await this.newestFirst('purchases', customerId, page)).map(rows.toPurchase);
  }

  async listGenerations(customerId: string, page: Page, memberId?: string): Promise<Generation[]> {
    return (await this.newestFirst('generations', customerId, page, memberId)).map(rows.toGeneration);
  }

  /** One customer's rows of a table paged by (created_at, id), newest first; one member's only when `memberId` is given. */
  private async newestFirst(table: 'purchases' | 'generations', customerId: string, page: Page, memberId?: string): Promise<Row[]> {
    const cursor = decodeGenerationCursor(page.before);
    const member = memberId === undefined ? '' : ' AND member_id = ?';
    const whose = memberId === undefined ? [customerId] : [customerId, memberId];
    if (!cursor) return this.all(`SELECT * FROM ${table} WHERE customer_id = ?${member} ORDER BY created_at DESC, id DESC LIMIT ?`, [...whose, page.limit]);
    return this.all(
      `SELECT * FROM ${table} WHERE customer_id = ?${member} AND (created_at < ? OR (created_at = ? AND id < ?)) ORDER BY created_at DESC, id DESC LIMIT ?`,
      [...whose, cursor.createdAt, cursor.createdAt, cursor.id, page.limit],
    );
  }

  async putMember(m: Member): Promise<void> {
    await this.inTransaction(async (tx) => {
      await tx.run(
        `INSERT INTO members (customer_id, member_id, name, email, role, limits, limits_reason, created_at, updated_at, removed_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (customer_id, member_id) DO UPDATE SET name = excluded.name, email = excluded.email, role = excluded.role, limits = excluded.limits,
           limits_reason = excluded.limits_reason, updated_at = excluded.updated_at, removed_at = excluded.removed_at`,
        [m.customerId, m.id, m.name, m.email, m.role, m.limits ? JSON.stringify(m.limits) : null, m.limitsReason, m.createdAt, m.updatedAt, m.removedAt],
      );
      // A reservation decided on the member's old row is decided again (PostgreSQL's version; SQLite serializes writes).
      await tx.run(`UPDATE customers SET updated_at = updated_at${this.dialect.bumpVersion} WHERE id = ?`, [m.customerId]);
    });
  }

  async getMember(customerId: string, memberId: string): Promise<Member | null> {
    const r = await this.one('SELECT * FROM members WHERE customer_id = ? AND member_id = ?', [customerId, memberId]);
    return r ? rows.toMember(r) : null;
  }

  async listMembers(customerId: string): Promise<Member[]> {
    return (await this.all('SELECT * FROM members WHERE customer_id = ? ORDER BY member_id', [customerId])).map(rows.toMember);
  }

  async reportSpendByMember(from: number, to: number) {
    const list = await this.all(
      `/* cross-shard: a report over every team */ SELECT g.customer_id, g.member_id, MAX(m.name) AS name, COUNT(*) AS n, CAST(SUM(g.charged) AS BIGINT) AS charged, CAST(SUM(g.refunded) AS BIGINT) AS refunded
         FROM generations g LEFT JOIN members m ON m.customer_id = g.customer_id AND m.member_id = g.member_id
        WHERE g.member_id IS NOT NULL AND g.created_at >= ? AND g.created_at < ? GROUP BY g.customer_id, g.member_id`,
      [from, to],
    );
    return list.map((r) => ({
      customerId: r.customer_id as string,
      memberId: r.member_id as string,
      name: (r.name as string | null) ?? null,
      generations: Number(r.n),
      charged: Number(r.charged),
      refunded: Number(r.refunded),
    }));
  }

  async listGrants(customerId: string): Promise<Grant[]> {
    return (await this.all('SELECT * FROM grants WHERE customer_id = ? ORDER BY created_at DESC, id DESC', [customerId])).map(rows.toGrant);
  }

  async listLedger(customerId: string, page: Page, memberId?: string): Promise<LedgerEntry[]> {
    const before = page.before === undefined ? Number.MAX_SAFE_INTEGER : Number(page.before);
    if (memberId !== undefined) {
      return (
        await this.all('SELECT * FROM ledger_entries WHERE customer_id = ? AND member_id = ? AND id < ? ORDER BY id DESC LIMIT ?', [customerId, memberId, before, page.limit])
      ).map(rows.toLedgerEntry);
    }
    return (await this.all('SELECT * FROM ledger_entries WHERE customer_id = ? AND id < ? ORDER BY id DESC LIMIT ?', [customerId, before, page.limit])).map(
      rows.toLedgerEntry,
    );
  }

  /** A cross-customer job (the sweep's search): every customer with a hold, grant, period or announcement due. */
  async dueCustomers(now: number, limit: number): Promise<string[]> {
    const list = await this.all(
      `/* cross-shard: the sweep’s search for due customers, bounded by its limit */ SELECT customer_id FROM generations WHERE status = 'reserved' AND hold_until <= ?
       UNION SELECT customer_id FROM grants WHERE remaining > 0 AND voided_at IS NULL AND expires_at IS NOT NULL AND expires_at <= ?
       UNION SELECT customer_id FROM subscriptions WHERE status = 'active' AND driven_by = 'purse' AND current_period_end <= ?
       UNION SELECT customer_id FROM grants WHERE warn_at IS NOT NULL AND warn_at <= ? AND remaining > 0 AND voided_at IS NULL
       LIMIT ?`,
      [now, now, now, now, limit],
    );
    return list.map((r) => r.customer_id as string);
  }

  async reportLedgerByDay(from: number, to: number) {
    const list = await this.all(
      `/* cross-shard: a report over every customer */ SELECT created_at / 86400000 AS day, type, CAST(SUM(amount) AS BIGINT) AS amount FROM ledger_entries
        WHERE created_at >= ? AND created_at < ? GROUP BY created_at / 86400000, type ORDER BY 1`,
      [from, to],
    );
    return list.map((r) => ({ day: Number(r.day), type: r.type as LedgerEntry['type'], amount: Number(r.amount) }));
  }

  async reportMoneyByDay(from: number, to: number, currency: string) {
    // The line of a void is a refund when its grant's payment was refunded (domain/money.ts, moneyLine).
    const list = await this.all(
      `/* cross-shard: a report over every customer */ SELECT CASE WHEN e.created_at < ? THEN -1 ELSE e.created_at / 86400000 END AS day,
              CASE WHEN e.type = 'grant' THEN 'paidIn' WHEN e.type = 'charge' THEN 'revenue' WHEN e.type = 'refund' THEN 'reversed'
                   WHEN e.type = 'void' AND g.refunded = 1 THEN 'refunds' ELSE 'breakage' END AS line,
              CAST(SUM(e.money) AS BIGINT) AS money
         FROM ledger_entries e JOIN grants g ON g.customer_id = e.customer_id AND g.id = e.grant_id
        WHERE g.currency = ? AND e.money <> 0 AND e.created_at < ?
        GROUP BY 1, 2`,
      [from, currency, to],
    );
    return list.map((r) => ({ day: Number(r.day) < 0 ? null : Number(r.day), line: r.line as MoneyLine | 'reversed', money: Number(r.money) }));
  }

  async reportGenerationsByTool(from: number, to: number) {
    const list = await this.all(
      `/* cross-shard: a report over every customer */ SELECT tool_id, status, COUNT(*) AS n, CAST(SUM(charged) AS BIGINT) AS charged, CAST(SUM(refunded) AS BIGINT) AS refunded FROM generations
        WHERE created_at >= ? AND created_at < ? GROUP BY tool_id, status`,
      [from, to],
    );
    return list.map((r) => ({ toolId: r.tool_id as string, status: r.status as Generation['status'], count: Number(r.n), charged: Number(r.charged), refunded: Number(r.refunded) }));
  }

  async reportOutstanding(now: number) {
    const bySource = (
      await this.all(
        `/* cross-shard: a report over every customer */ SELECT source, CAST(SUM(remaining) AS BIGINT) AS available FROM grants
          WHERE remaining > 0 AND voided_at IS NULL AND (expires_at IS NULL OR expires_at > ?) GROUP BY source ORDER BY source`,
        [now],
      )
    ).map((r) => ({ source: r.source as Grant['source'], available: Number(r.available) }));
    const held = await this.one("/* cross-shard: a report over every customer */ SELECT CAST(COALESCE(SUM(cost), 0) AS BIGINT) AS reserved FROM generations WHERE status = 'reserved'");
    return { bySource, reserved: Number(held!.reserved) };
  }

  /** The ledger check (Rule 13), a cross-customer job on one consistent view. */
  async audit(): Promise<AuditReport> {
    return this.inReadSnapshot(async (tx) => {
      const num = (v: unknown) => Number(v);
      return compareWithLedger({
        grants: (await tx.all('/* cross-shard: the ledger check reads every customer */ SELECT customer_id, id, amount, remaining, paid, currency, consumed, refunded FROM grants')).map((r) => ({
          customerId: r.customer_id as string, id: r.id as string, amount: num(r.amount), remaining: num(r.remaining),
          paid: num(r.paid), currency: (r.currency as string | null) ?? null, consumed: num(r.consumed), refunded: num(r.refunded) === 1,
        })),
        ledgerByGrant: (
          await tx.all(`/* cross-shard: the ledger check reads every customer */ SELECT customer_id, grant_id, CAST(SUM(available_delta) AS BIGINT) AS available,
                          CAST(SUM(CASE WHEN type = 'grant' THEN amount ELSE 0 END) AS BIGINT) AS granted,
                          CAST(SUM(CASE WHEN type = 'grant' THEN 1 ELSE 0 END) AS BIGINT) AS grant_entries,
                          CAST(SUM(CASE type WHEN 'charge' THEN amount WHEN 'refund' THEN -amount WHEN 'expire' THEN amount WHEN 'void' THEN amount ELSE 0 END) AS BIGINT) AS consumed,
                          CAST(SUM(CASE WHEN type = 'grant' THEN money ELSE 0 END) AS BIGINT) AS paid_in,
                          CAST(SUM(CASE WHEN type IN ('charge', 'refund') THEN money ELSE 0 END) AS BIGINT) AS revenue,
                          CAST(SUM(CASE WHEN type = 'expire' THEN money ELSE 0 END) AS BIGINT) AS expired,
                          CAST(SUM(CASE WHEN type = 'void' THEN money ELSE 0 END) AS BIGINT) AS voided
                        FROM ledger_entries GROUP BY customer_id, grant_id`)
        ).map((r) => ({
          customerId: r.customer_id as string, grantId: r.grant_id as string, available: num(r.available), granted: num(r.granted), grantEntries: num(r.grant_entries),
          consumed: num(r.consumed), paidIn: num(r.paid_in), revenue: num(r.revenue), expired: num(r.expired), voided: num(r.voided),
        })),
        generations: (await tx.all('/* cross-shard: the ledger check reads every customer */ SELECT customer_id, id, status, cost, charged, refunded FROM generations')).map((r) => ({
          customerId: r.customer_id as string, id: r.id as string, status: r.status as Generation['status'], cost: num(r.cost), charged: num(r.charged), refunded: num(r.refunded),
        })),
        ledgerByGeneration: (
          await tx.all(`/* cross-shard: the ledger check reads every customer */ SELECT customer_id, generation_id, CAST(SUM(reserved_delta) AS BIGINT) AS reserved,
                          CAST(SUM(CASE type WHEN 'charge' THEN amount WHEN 'refund' THEN -amount ELSE 0 END) AS BIGINT) AS spent
                        FROM ledger_entries WHERE generation_id IS NOT NULL GROUP BY customer_id, generation_id`)
        ).map((r) => ({ customerId: r.customer_id as string, generationId: r.generation_id as string, reserved: num(r.reserved), spent: num(r.spent) })),
        entries: num((await tx.all('/* cross-shard: the ledger check reads every customer */ SELECT COUNT(*) AS n FROM ledger_entries'))[0]!.n),
        malformedEntries: (await tx.all(MALFORMED_ENTRIES_SQL)).map((r) => ({
          id: num(r.id), customerId: r.customer_id as string, type: r.type as string, amount: num(r.amount), availableDelta: num(r.available_delta), reservedDelta: num(r.reserved_delta), money: num(r.money),
        })),
      });
    });
  }

  async insertApiKey(k: ApiKeyRecord): Promise<void> {
    await this.run('INSERT INTO api_keys (id, name, prefix, hash, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?)', [k.id, k.name, k.prefix, k.hash, k.createdAt, k.revokedAt]);
  }

  async findApiKeyByHash(hash: string): Promise<ApiKeyRecord | null> {
    const r = await this.one('SELECT * FROM api_keys WHERE hash = ?', [hash]);
    return r ? rows.toApiKey(r) : null;
  }

  async listApiKeys(): Promise<ApiKeyRecord[]> {
    return (await this.all('SELECT * FROM api_keys ORDER BY created_at')).map(rows.toApiKey);
  }

  async revokeApiKey(id: string, at: number): Promise<boolean> {
    return (await this.run('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [at, id])) > 0;
  }

  async getMeta(key: string): Promise<string | null> {
    const r = await this.one('SELECT value FROM meta WHERE key = ?', [key]);
    return r ? (r.value as string) : null;
  }

  async setMeta(key: string, value: string): Promise<void> {
    await this.run('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value]);
  }

  async getOrSetMeta(key: string, init: () => string): Promise<string> {
    await this.run('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING', [key, init()]);
    return (await this.getMeta(key))!;
  }

  async listEvents(filter: EventFilter, page: Page): Promise<PurseEvent[]> {
    const c = decodeEventCursor(page.before);
    const type = filter.type ?? null;
    if (filter.customerId !== undefined) {
      return (
        await this.all('SELECT * FROM events WHERE customer_id = ? AND seq < ? AND (CAST(? AS TEXT) IS NULL OR type = ?) ORDER BY seq DESC LIMIT ?', [
          filter.customerId, c ? c.seq : Number.MAX_SAFE_INTEGER, type, type, page.limit,
        ])
      ).map(rows.toEvent);
    }
    // A cross-customer read (the operator's feed of every customer), by id: ids sort by time.
    return (
      await this.all('/* cross-shard: the operator’s feed of every customer, bounded by its page */ SELECT * FROM events WHERE (CAST(? AS TEXT) IS NULL OR type = ?) AND id < ? ORDER BY id DESC LIMIT ?', [type, type, c ? c.id : '~', page.limit])
    ).map(rows.toEvent);
  }

  async getEvent(id: string): Promise<PurseEvent | null> {
    const r = await this.one(EVENT_BY_ID, [id]);
    return r ? rows.toEvent(r) : null;
  }

  async putWebhookEndpoint(e: WebhookEndpoint): Promise<void> {
    await this.outbox.run(W.upsertEndpoint, endpointParams(e));
  }

  async getWebhookEndpoint(id: string): Promise<WebhookEndpoint | null> {
    const [r] = await this.outbox.all(W.getEndpoint, [id]);
    return r ? toEndpoint(r) : null;
  }

  async listWebhookEndpoints(): Promise<WebhookEndpoint[]> {
    return (await this.outbox.all(W.listEndpoints)).map(toEndpoint);
  }

  async deleteWebhookEndpoint(id: string): Promise<boolean> {
    return this.inOutboxTransaction(async (tx) => {
      await tx.run(W.dropPendingOf, [id]);
      return (await tx.run(W.deleteEndpoint, [id])) > 0;
    });
  }

  async enqueueDeliveries(deliveries: WebhookDelivery[]): Promise<void> {
    await this.inOutboxTransaction(async (tx) => {
      await insertDeliveries(tx, deliveries);
    });
  }

  async deliveryTurn(sent: AttemptResult[], now: number, limit: number, leaseMs: number, disable: DisableRule): Promise<DeliveryTurn> {
    const none = { deliveries: [], events: new Map(), dispatched: 0 };
    // A cheap look first, so an idle worker takes no write lock.
    if (sent.length === 0 && (limit === 0 || (!(await this.anyUndispatched()) && (await this.outbox.all(W.anyDue, [now, now])).length === 0))) return none;
    // The write lock is held for the statements alone: the events' rows are read in the
    // transaction and made into events (their data parsed) after it.
    const turn = await this.inOutboxTransaction(async (tx) => {
      await this.recordAttempts(tx, sent, disable);
      if (limit === 0) return null;
      const lockedUntil = now + leaseMs;
      const due = (await tx.all(`${W.claimDue}${this.dialect.skipLocked('d')}) RETURNING *`, [lockedUntil, now, now, limit])).map(toDelivery);
      // The events of retried deliveries, by id; the fan-out below reads its own whole.
      const eventRows = new Map<string, Row>();
      const events = this.eventsIn(tx);
      for (const d of due) {
        if (eventRows.has(d.eventId)) continue;
        const r = await events.all(EVENT_BY_ID, [d.eventId]);
        if (r[0]) eventRows.set(d.eventId, r[0]);
      }
      if (due.length >= limit) return { deliveries: due, eventRows, dispatched: 0 };
      // The outbox's fan-out: each new delivery is made already held by this worker. With no
      // endpoint enabled, events are only marked, a larger batch at a time (and not read whole).
      const endpoints = (await tx.all(W.enabledEndpoints)).map(toEndpoint);
      if (endpoints.length === 0) return { deliveries: due, eventRows, dispatched: await this.markUnsent(tx, MAX_EVENTS_MARKED), noEndpoint: true };
      const fresh = await this.takeUndispatched(tx, '*', limit - due.length);
      const made: WebhookDelivery[] = [];
      for (const r of fresh) {
        eventRows.set(r.id as string, r);
        for (const endpoint of endpoints) {
          if (endpointWants(endpoint, r.type as EventType)) made.push({ ...newDelivery(endpoint.id, r.id as string, r.customer_id as string, now), lockedUntil });
        }
      }
      const inserted = await this.insertFannedOut(tx, made);
      await this.markDispatched(tx, fresh);
      due.push(...inserted);
      return { deliveries: due, eventRows, dispatched: fresh.length };
    });
    if (!turn) return none;
    const events = new Map<string, PurseEvent>();
    for (const [id, r] of turn.eventRows) events.set(id, rows.toEvent(r));
    return { deliveries: turn.deliveries, events, dispatched: turn.dispatched, ...(turn.noEndpoint ? { noEndpoint: true } : {}) };
  }

  /**
   * With no endpoint enabled, the outbox's oldest events (at most `take`) are only marked
   * dispatched, each by one worker; answers how many. Nothing else is written with them.
   */
  protected async markUnsent(tx: SqlRunner, take: number): Promise<number> {
    const fresh = await this.takeUndispatched(tx, 'customer_id, seq', take);
    await this.markDispatched(tx, fresh);
    return fresh.length;
  }

  /** Whether any event waits for its deliveries to be made (the idle worker's look, outside a transaction). */
  protected async anyUndispatched(): Promise<boolean> {
    return (await this.all(W.anyUndispatched)).length > 0;
  }

  /** Where a delivery turn running in `tx` reads events: the same transaction, where the outbox shares the database. */
  protected eventsIn(tx: SqlRunner): SqlRunner {
    return tx;
  }

  /** Writes a turn's new deliveries, held by this worker, and answers those written: all, since their events were not yet dispatched. */
  protected async insertFannedOut(tx: SqlRunner, made: WebhookDelivery[]): Promise<WebhookDelivery[]> {
    await insertDeliveries(tx, made);
    return made;
  }

  /** Marks a turn's events dispatched (each row's `customer_id` and `seq`): one statement per customer, so one shard each on Citus. */
  protected async markDispatched(tx: SqlRunner, events: readonly Row[]): Promise<void> {
    for (const [customerId, theirs] of byCustomer(events, (r) => Number(r.seq))) {
      for (const part of chunks(theirs, ROWS_A_STATEMENT)) await tx.run(W.markDispatched(part.length), [customerId, ...part]);
    }
  }

  /** The outbox's oldest undispatched events (`columns` of each, at most `take`), each held by this worker: those another holds are skipped. */
  protected async takeUndispatched(tx: SqlRunner, columns: string, take: number): Promise<Row[]> {
    return tx.all(`/* cross-shard: the delivery worker’s outbox, bounded by its batch */ SELECT ${columns} FROM events WHERE dispatched = 0 ORDER BY created_at LIMIT ?${this.dialect.skipLocked()}`, [take]);
  }

  /** A batch of attempts and their deliveries' new states; an endpoint's run of successes is written once. */
  private async recordAttempts(tx: SqlRunner, sent: AttemptResult[], disable: DisableRule): Promise<void> {
    if (sent.length === 0) return;
    for (const part of chunks(sent, ROWS_A_STATEMENT)) await tx.run(manyRows.insertAttempts(part.length), part.flatMap((s) => attemptParams(s.attempt)));
    // Successes, the usual case, in one statement; a failed attempt's delivery gets its own retry time.
    const succeeded = sent.filter((s) => s.attempt.error === null);
    const at = Math.max(...sent.map((s) => s.attempt.at));
    for (const part of chunks(succeeded, ROWS_A_STATEMENT)) await tx.run(manyRows.deliveriesSucceeded(part.length), [at, ...part.map((s) => s.delivery.id)]);
    // An endpoint's run of successes is written once; a failure counts toward disabling it.
    const succeeding = new Set<string>();
    for (const { attempt: a, delivery: d } of sent) {
      if (a.error === null) {
        if (!succeeding.has(a.endpointId)) await tx.run(W.endpointSucceeded, [a.endpointId]);
        succeeding.add(a.endpointId);
      } else {
        await tx.run(W.updateDelivery, [d.status, d.attempts, d.nextAttemptAt, d.lockedUntil, d.updatedAt, d.id]);
        succeeding.delete(a.endpointId);
        await tx.run(W.endpointFailed, endpointFailedParams(a.endpointId, a.at, disable.maxFailures, disable.windowMs, disable.reason(a)));
      }
    }
  }

  async listWebhookAttempts(endpointId: string, page: Page): Promise<WebhookAttempt[]> {
    const c = decodeAttemptCursor(page.before);
    return (await this.outbox.all(W.listAttempts, [endpointId, c?.at ?? Number.MAX_SAFE_INTEGER, c?.id ?? '', page.limit])).map(toAttempt);
  }
}
