import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Generation, Grant, Plan, Purchase, Subscription, Tool } from '../../domain/types.js';
import { hasLimits, windowStarts, type SpendWindow } from '../../domain/limits.js';
import { loadMigrations } from '../migrations.js';
import * as rows from '../rows.js';
import { chunks, ROWS_A_STATEMENT, SqlStore, type Row, type SqlDialect, type SqlRunner } from '../sql-store.js';
import type { CustomerChanges, CustomerLoad, CustomerSnapshot, Decision, Store, StoreCapabilities, WriteStats } from '../store.js';
import { deliveryParams, manyRows } from '../webhook-queries.js';
import type { WebhookDelivery } from '../../domain/events.js';
import { customerUpdate, namedInsert, namedUpdate } from '../written-sql.js';
import { GroupCommit } from './group-commit.js';
import { BUSY_TIMEOUT_MS, LOCK_RETRY_MS, SqliteConnection, type Statement } from './sqlite-connection.js';

/** The outbox's file beside the database's: `purse.db` keeps its delivery worker's tables in `purse.db-outbox`. */
export function outboxPath(path: string): string {
  return path === ':memory:' ? ':memory:' : `${path}-outbox`;
}

/** The write path's statements, built once from the written columns (building them per write was a few per cent of its CPU). */
const WRITE = {
  insertGrant: namedInsert('grants'),
  updateGrant: namedUpdate('grants'),
  insertGeneration: namedInsert('generations'),
  updateGeneration: namedUpdate('generations'),
  insertLedger: namedInsert('ledger_entries'),
  putSubscription: namedInsert('subscriptions').replace('INSERT', 'INSERT OR REPLACE'),
  insertPurchase: namedInsert('purchases'),
  updatePurchase: namedUpdate('purchases'),
  insertEvent: namedInsert('events'),
  updateCustomer: customerUpdate(),
  insertIdempotency: namedInsert('idempotency_keys'),
  /** A spend window written whole: inserted, or its counter replaced. */
  putSpendWindow: `${namedInsert('spend_windows')} ON CONFLICT (customer_id, window_start, scope, tool_id, member_id, window_kind) DO UPDATE SET used = excluded.used`,
} as const;

/**
 * The embedded store: one SQLite file in WAL mode with `synchronous=FULL`, so an
 * acknowledged write survives power loss. Writers take the database lock at
 * BEGIN (IMMEDIATE), which serializes every customer's writes, across processes
 * too. The queries it shares with PostgreSQL are in {@link SqlStore}.
 *
 * The webhook delivery worker's tables (endpoints, deliveries, attempts, and
 * how far the fan-out has read the events) live in a second file beside it,
 * `<file>-outbox`, with its own write lock: a delivery turn reads the events
 * from the ledger's file and writes only the outbox's, so sending events never
 * holds the lock the API's writes wait for. Events are never deleted, so their
 * rowids grow in commit order and the fan-out keeps its place as one rowid.
 */
export class SqliteStore extends SqlStore implements Store {
  readonly kind = 'sqlite' as const;
  readonly capabilities: StoreCapabilities;
  /** SQLite holds the whole database's write lock from BEGIN IMMEDIATE: no row locks to take or skip. */
  protected readonly dialect: SqlDialect = { forUpdate: '', skipLocked: () => '', bumpVersion: '', true: '1' };
  private readonly main: SqliteConnection;
  private readonly db: Database.Database;
  /** The delivery worker's file (see above). */
  private readonly outboxFile: SqliteConnection;
  private readonly writes: GroupCommit;
  /** Tools as read, while no other connection has committed (`PRAGMA data_version`) and this one has not written one. */
  private readonly tools = new Map<string, Tool | null>();
  private toolsVersion: unknown = null;
  private readonly dataVersion: Database.Statement;

  /** `path` is a file path or `:memory:`; `syncEachCommit: false` only for bookkeeping that can be made again (see `openStore`). */
  constructor(path: string, opts: { syncEachCommit?: boolean } = {}) {
    super();
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const syncEachCommit = opts.syncEachCommit !== false;
    this.main = new SqliteConnection(path, { syncEachCommit });
    this.db = this.main.db;
    this.outboxFile = new SqliteConnection(outboxPath(path), { syncEachCommit });
    this.capabilities = { multiProcess: path !== ':memory:' };
    this.dataVersion = this.db.prepare('PRAGMA data_version').pluck();
    this.writes = new GroupCommit(this.db, (customerId, load, decide) => {
      const { changes, result } = decide(this.snapshot(customerId, load));
      return () => {
        this.apply(customerId, changes);
        return result;
      };
    }, { timeoutMs: BUSY_TIMEOUT_MS, retryMs: LOCK_RETRY_MS });
  }

  private sql(text: string): Statement {
    return this.main.sql(text);
  }

  async all(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    return this.sql(sql).all(...params);
  }

  async run(sql: string, params: readonly unknown[] = []): Promise<number> {
    return this.sql(sql).run(...params).changes;
  }

  /** A write transaction outside the write engine (see {@link SqliteConnection.transaction}). */
  protected inTransaction<T>(work: (tx: SqlRunner) => Promise<T>): Promise<T> {
    return this.main.transaction('BEGIN IMMEDIATE', work, this);
  }

  protected inReadSnapshot<T>(work: (tx: SqlRunner) => Promise<T>): Promise<T> {
    return this.main.transaction('BEGIN DEFERRED', work, this);
  }

  protected override get outbox(): SqlRunner {
    return this.outboxFile;
  }

  protected override inOutboxTransaction<T>(work: (tx: SqlRunner) => Promise<T>): Promise<T> {
    return this.outboxFile.transaction('BEGIN IMMEDIATE', work);
  }

  /** A delivery turn reads the events from the ledger's file, outside the outbox's transaction: committed events do not change. */
  protected override eventsIn(): SqlRunner {
    return this;
  }

  protected override async anyUndispatched(): Promise<boolean> {
    return this.newestEventRowid() > this.fannedOutTo();
  }

  /** The rowid of the last event committed (0 for none). */
  private newestEventRowid(): number {
    return Number(this.sql('SELECT coalesce(max(rowid), 0) AS n FROM events').get()!.n);
  }

  private fannedOutTo(): number {
    return Number(this.outboxFile.sql('SELECT event_rowid FROM fanout').get()?.event_rowid ?? 0);
  }

  /** The events after the fan-out's place, in the order they were committed (no other worker takes them: the outbox's lock is held). */
  protected override async takeUndispatched(_tx: SqlRunner, columns: string, take: number): Promise<Row[]> {
    return this.sql(`SELECT rowid AS event_rowid, ${columns} FROM events WHERE rowid > ? ORDER BY rowid LIMIT ?`).all(this.fannedOutTo(), take);
  }

  /** Moves the fan-out's place past a turn's events: one row of the outbox, nothing in the ledger's file. */
  protected override async markDispatched(tx: SqlRunner, events: readonly Row[]): Promise<void> {
    if (events.length === 0) return;
    await tx.run('UPDATE fanout SET event_rowid = max(event_rowid, ?)', [Math.max(...events.map((r) => Number(r.event_rowid)))]);
  }

  /**
   * A delivery already there (an event fanned out again after an upgrade, or an
   * outbox restored from an older backup than the ledger's) is kept as it is,
   * and not sent again by this turn.
   */
  protected override async insertFannedOut(tx: SqlRunner, made: WebhookDelivery[]): Promise<WebhookDelivery[]> {
    const written = new Set<string>();
    for (const part of chunks(made, ROWS_A_STATEMENT)) {
      for (const r of await tx.all(`${manyRows.insertDeliveries(part.length)} ON CONFLICT (id) DO NOTHING RETURNING id`, part.flatMap(deliveryParams))) written.add(r.id as string);
    }
    return written.size === made.length ? made : made.filter((d) => written.has(d.id));
  }

  protected async hasTable(name: string): Promise<boolean> {
    return this.tableExists(name);
  }

  /** {@link hasTable}, synchronously, for the migrations' transactions. */
  private tableExists(name: string): boolean {
    return this.sql("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
  }

  async migrate(): Promise<void> {
    this.migrateOutbox();
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
    // A ledger restored from a backup older than its outbox: the fan-out goes on from the newest event the ledger holds.
    const newest = this.newestEventRowid();
    this.outboxFile.sql('UPDATE fanout SET event_rowid = ? WHERE event_rowid > ?').run(newest, newest);
  }

  /**
   * The outbox file's migrations, versioned by its `user_version`, run before
   * the ledger's: the first copies the delivery worker's rows out of the
   * ledger's file, whose 0015 then drops them. Each file is written by its own
   * transaction (SQLite commits attached files one by one, not as one): a crash
   * between the two leaves the copy made and the ledger's rows in place, and the
   * drop runs at the next start (no server wrote either file in between).
   */
  private migrateOutbox(): void {
    const db = this.outboxFile.db;
    const apply = db.transaction(() => {
      const version = Number(db.pragma('user_version', { simple: true }));
      for (const m of loadMigrations('sqlite-outbox')) {
        if (m.version <= version) continue;
        db.exec(m.sql);
        if (m.version === 1) this.copyIntoOutbox();
        db.pragma(`user_version = ${m.version}`);
      }
    });
    // IMMEDIATE takes the outbox's write lock first, so processes starting together migrate one at a time.
    apply.immediate();
  }

  /**
   * Copies the webhook tables' rows from the ledger's file, where a database
   * made before the outbox had its own file keeps them, and sets the fan-out's
   * place: before the oldest event not yet dispatched (an event after it that
   * was already dispatched is fanned out again, and its delivery, already
   * there, kept), or after the newest event.
   */
  private copyIntoOutbox(): void {
    const moving = this.tableExists('webhook_endpoints');
    if (moving) {
      for (const table of ['webhook_endpoints', 'webhook_deliveries', 'webhook_attempts']) {
        const columns = (this.db.prepare(`SELECT name FROM pragma_table_info('${table}')`).all() as { name: string }[]).map((c) => c.name);
        const insert = this.outboxFile.db.prepare(`INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`);
        for (const row of this.db.prepare(`SELECT ${columns.join(', ')} FROM ${table}`).raw().iterate()) insert.run(...(row as unknown[]));
      }
    }
    const newest = this.tableExists('events') ? this.newestEventRowid() : 0;
    const place = moving ? Number((this.db.prepare('SELECT coalesce(min(rowid) - 1, ?) AS n FROM events WHERE dispatched = 0').get(newest) as { n: number }).n) : newest;
    this.outboxFile.db.prepare('INSERT INTO fanout (id, event_rowid) VALUES (1, ?)').run(place);
  }

  /** SQLite has no repeatable SQL files. */
  async appliedFunctions(): Promise<Map<string, string>> {
    return new Map();
  }

  async close(): Promise<void> {
    this.writes.drain();
    this.db.close();
    this.outboxFile.db.close();
  }

  transact<R>(customerId: string, load: CustomerLoad, decide: (s: CustomerSnapshot) => Decision<R>): Promise<R> {
    return this.announcingEvents((watched) => this.writes.transact(customerId, load, watched), decide);
  }

  writeStats(): WriteStats {
    return this.writes.writeStats();
  }

  /** Writes one decision, inside the group's transaction; every statement is built from the written columns. */
  private apply(customerId: string, changes: CustomerChanges): void {
    for (const g of changes.insertGrants) this.sql(WRITE.insertGrant).run(rows.grantParams(g));
    for (const g of changes.updateGrants) this.sql(WRITE.updateGrant).run(rows.grantParams(g));
    for (const g of changes.insertGenerations) this.sql(WRITE.insertGeneration).run(rows.generationParams(g));
    for (const g of changes.updateGenerations) this.sql(WRITE.updateGeneration).run(rows.generationParams(g));
    for (const e of changes.ledger) this.sql(WRITE.insertLedger).run(rows.ledgerParams(e));
    if (changes.subscription) this.sql(WRITE.putSubscription).run(rows.subscriptionParams(changes.subscription));
    for (const p of changes.insertPurchases) this.sql(WRITE.insertPurchase).run(rows.purchaseParams(p));
    for (const p of changes.updatePurchases) this.sql(WRITE.updatePurchase).run(rows.purchaseParams(p));
    if (changes.events.length > 0) {
      let seq = Number(this.sql('SELECT coalesce(max(seq), 0) AS seq FROM events WHERE customer_id = ?').get(customerId)!.seq);
      for (const e of changes.events) this.sql(WRITE.insertEvent).run(rows.eventParams(e, ++seq));
    }
    if (changes.customer) this.sql(WRITE.updateCustomer).run(rows.customerParams(customerId, changes.customer));
    if (changes.idempotency) this.sql(WRITE.insertIdempotency).run(rows.idempotencyParams(customerId, changes.idempotency));
    for (const w of changes.spendWindows) this.sql(WRITE.putSpendWindow).run(rows.spendWindowParams(w));
    if (changes.inFlightDelta !== 0) this.sql('UPDATE customers SET in_flight = in_flight + ? WHERE id = ?').run(changes.inFlightDelta, customerId);
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
    for (const r of this.sql("SELECT * FROM generations INDEXED BY generations_due_by_customer WHERE customer_id = ? AND status = 'reserved' AND hold_until <= ?").all(customerId, load.now)) {
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
    const customer = customerRow ? rows.toCustomer(customerRow) : null;
    const activePlan = subscription?.status === 'active' ? plans.find((p) => p.id === subscription.planId) : undefined;
    const counted = [...generations.values()].some((g) => g.customerId === customerId && g.counted);
    const members = load.memberId === undefined ? [] : this.sql('SELECT * FROM members WHERE customer_id = ? AND member_id = ?').all(customerId, load.memberId).map(rows.toMember);
    let spendWindows: SpendWindow[] | null = null;
    // A member's reservation is always counted (its usage is shown whether or not it has limits).
    if (hasLimits(customer?.limits) || hasLimits(activePlan?.limits) || counted || load.memberId !== undefined) {
      const { day, month } = windowStarts(load.now);
      spendWindows = this.sql('SELECT * FROM spend_windows WHERE customer_id = ? AND window_start IN (?, ?)').all(customerId, day, month).map(rows.toSpendWindow);
    }
    return {
      customer,
      grants: [...grants.values()],
      generations: [...generations.values()],
      idempotency,
      subscription,
      plans,
      purchases,
      spendWindows,
      members,
      ...(load.toolId !== undefined ? { tool: this.keptTool(load.toolId) } : {}),
    };
  }

  override async getTool(id: string): Promise<Tool | null> {
    return this.keptTool(id);
  }

  /**
   * A tool as read, kept in memory until another connection (another process, the webhook
   * thread) commits anything, or this one writes a tool: a reservation's snapshot reads its
   * tool's price this way.
   */
  private keptTool(id: string): Tool | null {
    const version = this.dataVersion.get();
    if (version !== this.toolsVersion) {
      this.tools.clear();
      this.toolsVersion = version;
    }
    let tool = this.tools.get(id);
    if (tool === undefined) {
      const r = this.sql('SELECT * FROM tools WHERE id = ?').get(id);
      tool = r ? rows.toTool(r) : null;
      this.tools.set(id, tool);
    }
    return tool && { ...tool };
  }

  override async putTool(t: Tool): Promise<Tool> {
    // Cleared after too: a read on this connection while the write was open saw it uncommitted.
    this.tools.clear();
    try {
      return await super.putTool(t);
    } finally {
      this.tools.clear();
    }
  }

  async getGeneration(id: string): Promise<Generation | null> {
    const r = this.sql('SELECT * FROM generations WHERE id = ? LIMIT 1').get(id);
    return r ? rows.toGeneration(r) : null;
  }

  // Looked up by an id or a payment provider's reference alone: one database, so one read each
  // (PostgreSQL goes through its routed lookups, so that on Citus each is one shard).
  async findSubscriptionByRef(providerRef: string): Promise<Subscription | null> {
    const r = await this.one('SELECT * FROM subscriptions WHERE provider_ref = ? LIMIT 1', [providerRef]);
    return r ? rows.toSubscription(r) : null;
  }

  async getPurchase(id: string): Promise<Purchase | null> {
    const r = await this.one('SELECT * FROM purchases WHERE id = ? LIMIT 1', [id]);
    return r ? rows.toPurchase(r) : null;
  }

  async findPurchaseByRef(ref: string): Promise<Purchase | null> {
    const r = await this.one('SELECT * FROM purchases WHERE provider_ref = ? OR payment_ref = ? LIMIT 1', [ref, ref]);
    return r ? rows.toPurchase(r) : null;
  }

  async findGrant(id: string): Promise<Grant | null> {
    const r = await this.one('SELECT * FROM grants WHERE id = ? LIMIT 1', [id]);
    return r ? rows.toGrant(r) : null;
  }

  async readBalance(customerId: string, now: number) {
    const read = this.db.transaction(() => {
      const grants = this.sql('SELECT * FROM grants WHERE customer_id = ? AND remaining > 0 AND voided_at IS NULL').all(customerId).map(rows.toGrant);
      // Named, or the planner may walk the customer's whole history (generations_newest) instead of its open holds.
      const held = this.sql(
        "SELECT COALESCE(SUM(cost), 0) AS reserved, COALESCE(MIN(hold_until), 0) AS first_due, COUNT(*) AS n FROM generations INDEXED BY generations_due_by_customer WHERE customer_id = ? AND status = 'reserved'",
      ).get(customerId)!;
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

  async pruneIdempotency(before: number, limit: number): Promise<number> {
    // Rows are appended in time order, so the oldest are the lowest rowids: look only at the first `limit`
    // rows, without an index on created_at and without scanning the table while holding the write lock.
    return this.sql(`DELETE FROM idempotency_keys WHERE rowid IN
                       (SELECT rowid FROM (SELECT rowid, created_at FROM idempotency_keys ORDER BY rowid LIMIT ?) WHERE created_at < ?)`).run(limit, before).changes;
  }

}
