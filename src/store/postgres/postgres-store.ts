import pg from 'pg';
import type { Customer, Generation, Grant, LedgerEntry, Pack, Plan, Purchase, Subscription, Tool, ToolPrice } from '../../domain/types.js';
import { compareWithLedger, MALFORMED_ENTRIES_SQL } from '../audit.js';
import { decodeAttemptCursor, decodeEventCursor, decodeGenerationCursor } from '../cursor.js';
import { attemptParams, deliveryParams, endpointFailedParams, endpointParams, newDelivery, numbered, toAttempt, toDelivery, toEndpoint, WEBHOOK_SQL as W } from '../webhook-queries.js';
import { endpointWants, type AlertSettings, type EventType, type PurseEvent, type WebhookAttempt, type WebhookDelivery, type WebhookEndpoint } from '../../domain/events.js';
import { loadMigrations, loadRepeatable } from '../migrations.js';
import * as rows from '../rows.js';
import type {
  ApiKeyRecord,
  AuditReport,
  CustomerChanges,
  CustomerLoad,
  CustomerSnapshot,
  Decision,
  IdempotencyRecord,
  Page,
  Store,
  StoreCapabilities,
  EventFilter,
  AttemptResult,
} from '../store.js';

type Row = Record<string, unknown>;

/** The advisory lock key migrations run under, so processes starting together migrate one at a time. */
const MIGRATION_LOCK = 72_617_301;

// bigint (int8) columns hold epoch milliseconds and credits, all far below 2^53: read them as numbers.
const types = {
  getTypeParser(oid: number, format?: string) {
    if (oid === 20) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format as 'text');
  },
} as pg.CustomTypesConfig;

/**
 * One statement that reads everything a customer-scoped write needs: the customer
 * (with its version), live grants, the generations named and the holds that ran
 * out, the grants those generations used, the idempotency record, the
 * subscription with its plans, and the purchases named.
 */
const SNAPSHOT_SQL = `
WITH gens AS (
  -- A generation named by id is found through its owner, whichever customer that is.
  SELECT g.* FROM generation_ids r JOIN generations g ON g.customer_id = r.customer_id AND g.id = r.id WHERE r.id = ANY($2::text[])
  UNION
  SELECT * FROM generations WHERE customer_id = $1 AND status = 'reserved' AND hold_until <= $4
), sub AS (
  SELECT * FROM subscriptions WHERE customer_id = $1
)
SELECT
  (SELECT row_to_json(c) FROM customers c WHERE c.id = $1) AS customer,
  (SELECT coalesce(json_agg(g), '[]') FROM grants g
    WHERE g.customer_id = $1
      AND ((g.remaining > 0 AND g.voided_at IS NULL) OR g.id = ANY($3::text[])
           OR g.id IN (SELECT a->>'grantId' FROM gens, jsonb_array_elements(gens.allocations::jsonb) a WHERE gens.customer_id = $1))) AS grants,
  (SELECT coalesce(json_agg(gens), '[]') FROM gens) AS generations,
  (SELECT coalesce(json_agg(i), '[]') FROM idempotency_keys i WHERE i.customer_id = $1 AND i.key = ANY($5::text[])) AS idempotency,
  (SELECT row_to_json(sub) FROM sub) AS subscription,
  (SELECT coalesce(json_agg(p), '[]') FROM plans p
    WHERE p.id = ANY($6::text[]) OR p.id IN (SELECT plan_id FROM sub UNION SELECT pending_plan_id FROM sub)) AS plans,
  (SELECT coalesce(json_agg(p), '[]') FROM purchases p WHERE p.id = ANY($7::text[])) AS purchases`;

const APPLY_SQL = 'SELECT purse_apply($1, $2, $3::jsonb) AS ok';

/**
 * The production store. A customer-scoped write is two round trips and holds no
 * lock between them: one statement reads the snapshot, one function call
 * (`purse_apply`) writes the decision if the customer's version is unchanged.
 * When another write got there first, the decision is made again on a fresh
 * snapshot — after a few such conflicts under a row lock, so a hot customer
 * cannot starve.
 */
export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  readonly capabilities: StoreCapabilities = { multiProcess: true };
  readonly pool: pg.Pool;
  private readonly queues = new Map<string, CustomerQueue>();

  /**
   * `pg` (node-postgres) rather than postgres.js: with named (prepared) statements
   * for the two hot ones it is as fast (bench/drivers.ts), and it is the most used
   * driver, with explicit clients for the row-lock fallback and migrations.
   */
  constructor(connectionString: string, opts: { max?: number; onIdleError?: (err: Error) => void } = {}) {
    // Plans are made for each call's values: a plan cached while a table was small (a fresh
    // database) would otherwise keep scanning it whole long after it has grown.
    this.pool = new pg.Pool({ connectionString, max: opts.max ?? 10, types, options: '-c plan_cache_mode=force_custom_plan' });
    // An idle connection the server closed (a restart, a failover) is dropped from the pool;
    // the next query opens a new one. Without a listener the error would end the process.
    this.pool.on('error', (err) => opts.onIdleError?.(err));
  }

  private async query(text: string, values: unknown[] = []): Promise<Row[]> {
    return (await this.pool.query(text, values)).rows;
  }

  private async one(text: string, values: unknown[] = []): Promise<Row | null> {
    return (await this.query(text, values))[0] ?? null;
  }

  async migrate(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
      await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)');
      const done = new Set((await client.query('SELECT version FROM schema_migrations')).rows.map((r) => Number(r.version)));
      for (const m of loadMigrations('postgres')) {
        if (done.has(m.version)) continue;
        await client.query('BEGIN');
        try {
          await client.query(m.sql);
          await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, Date.now()]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK');
          throw err;
        }
      }
      // Function definitions live in one file each and are replaced when the file changes.
      await client.query('CREATE TABLE IF NOT EXISTS schema_functions (name text PRIMARY KEY, checksum text NOT NULL, applied_at bigint NOT NULL)');
      const applied = new Map((await client.query('SELECT name, checksum FROM schema_functions')).rows.map((r) => [r.name as string, r.checksum as string]));
      for (const f of loadRepeatable('postgres')) {
        if (applied.get(f.name) === f.checksum) continue;
        await client.query('BEGIN');
        try {
          await client.query(f.sql);
          await client.query(
            `INSERT INTO schema_functions (name, checksum, applied_at) VALUES ($1, $2, $3)
             ON CONFLICT (name) DO UPDATE SET checksum = excluded.checksum, applied_at = excluded.applied_at`,
            [f.name, f.checksum, Date.now()],
          );
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK');
          throw err;
        }
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  /**
   * Per-customer batching: writes to one customer that arrive while its previous
   * batch is in flight wait and then go together — one snapshot read, each
   * decided in turn on the state the ones before it left, one `purse_apply` call
   * for all. A write whose decision throws fails alone. Different customers'
   * batches run in parallel over the pool.
   */
  transact<R>(customerId: string, load: CustomerLoad, decide: (s: CustomerSnapshot) => Decision<R>): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      let queue = this.queues.get(customerId);
      if (!queue) {
        queue = { pending: [], running: false };
        this.queues.set(customerId, queue);
      }
      queue.pending.push({ load, decide, resolve, reject } as PendingWrite);
      if (!queue.running) {
        queue.running = true;
        const q = queue;
        setImmediate(() => void this.drain(customerId, q));
      }
    });
  }

  /** How many writes each `purse_apply` carried, for the bench. */
  readonly batchStats = { calls: 0, writes: 0, conflicts: 0 };

  private async drain(customerId: string, queue: CustomerQueue): Promise<void> {
    while (queue.pending.length > 0) await this.runBatch(customerId, queue.pending.splice(0, MAX_BATCH));
    queue.running = false;
    this.queues.delete(customerId);
  }

  /** Decides and writes one batch; settles every write in it, never throws. */
  private async runBatch(customerId: string, batch: PendingWrite[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      // After a few lost races, hold the customer's row lock so a hot customer cannot starve.
      const client = attempt >= 3 ? await this.pool.connect() : null;
      try {
        if (client) {
          await client.query('BEGIN');
          await client.query('SELECT 1 FROM customers WHERE id = $1 FOR UPDATE', [customerId]);
        }
        const loaded = await this.snapshot(client ?? this.pool, customerId, mergeLoads(batch.map((w) => w.load)));
        const { outcomes, changes } = decideInTurn(loaded, batch);
        let applied = true;
        if (loaded.version !== null && changes !== null) {
          const res = await (client ?? this.pool).query({ name: 'purse_apply', text: APPLY_SQL, values: [customerId, loaded.version, changes] });
          applied = res.rows[0]?.ok === true;
          if (applied) {
            this.batchStats.calls++;
            this.batchStats.writes += batch.length;
          }
        }
        if (client) {
          if (!applied) throw new Error(`customer ${customerId} changed under its row lock`);
          await client.query('COMMIT');
        }
        if (!applied) {
          this.batchStats.conflicts++;
          continue;
        }
        batch.forEach((w, i) => {
          const o = outcomes[i]!;
          if (o.ok) w.resolve(o.value);
          else w.reject(o.error);
        });
        return;
      } catch (error) {
        if (client) await client.query('ROLLBACK').catch(() => {});
        // Another customer took a generation id between our snapshot and our write:
        // decide again on a snapshot that shows the id taken, so the write is refused.
        if (isGenerationIdTaken(error) && attempt < MAX_ID_RACE_RETRIES) continue;
        if (batch.length > 1) {
          // A database error in a batch: run each write alone, so only the one at fault fails.
          for (const w of batch) await this.runBatch(customerId, [w]);
        } else {
          batch[0]!.reject(error);
        }
        return;
      } finally {
        client?.release();
      }
    }
  }

  private async snapshot(db: pg.Pool | pg.PoolClient, customerId: string, load: MergedLoad): Promise<LoadedCustomer> {
    const r = (
      await db.query({
        name: 'purse_snapshot',
        text: SNAPSHOT_SQL,
        values: [customerId, load.generationIds, load.grantIds, load.now, load.idempotencyKeys, load.planIds, load.purchaseIds],
      })
    ).rows[0] as Record<string, any>;
    const idempotency = new Map<string, IdempotencyRecord>();
    for (const i of r.idempotency as Row[]) {
      idempotency.set(i.key as string, {
        key: i.key as string,
        requestHash: i.request_hash as string,
        statusCode: Number(i.status_code),
        response: JSON.parse(i.response as string),
        createdAt: Number(i.created_at),
      });
    }
    return {
      customerId,
      version: r.customer ? Number(r.customer.version) : null,
      customer: r.customer ? rows.toCustomer(r.customer) : null,
      grants: (r.grants as Row[]).map(rows.toGrant),
      generations: (r.generations as Row[]).map(rows.toGeneration),
      idempotency,
      subscription: r.subscription ? rows.toSubscription(r.subscription) : null,
      plans: (r.plans as Row[]).map(rows.toPlan),
      purchases: (r.purchases as Row[]).map(rows.toPurchase),
    };
  }

  async putCustomer(c: Customer): Promise<Customer> {
    const r = await this.one(
      `INSERT INTO customers (id, name, email, metadata, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, email = excluded.email, metadata = excluded.metadata, updated_at = excluded.updated_at
       RETURNING *`,
      [c.id, c.name, c.email, c.metadata ? JSON.stringify(c.metadata) : null, c.createdAt, c.updatedAt],
    );
    return rows.toCustomer(r!);
  }

  async getCustomer(id: string): Promise<Customer | null> {
    const r = await this.one('SELECT * FROM customers WHERE id = $1', [id]);
    return r ? rows.toCustomer(r) : null;
  }

  async searchCustomers(query: string, limit: number): Promise<Customer[]> {
    const like = `%${query.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
    return (await this.query('SELECT * FROM customers WHERE id ILIKE $1 OR email ILIKE $1 OR name ILIKE $1 ORDER BY updated_at DESC LIMIT $2', [like, limit])).map(rows.toCustomer);
  }

  async putTool(t: Tool): Promise<Tool> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const before = (await client.query('SELECT credits, unit FROM tools WHERE id = $1 FOR UPDATE', [t.id])).rows[0];
      const r = (
        await client.query(
          `INSERT INTO tools (id, name, credits, unit, description, hold_seconds, active, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
           ON CONFLICT (id) DO UPDATE SET name = excluded.name, credits = excluded.credits, unit = excluded.unit, description = excluded.description,
             hold_seconds = excluded.hold_seconds, active = excluded.active, updated_at = excluded.updated_at
           RETURNING *`,
          [t.id, t.name, t.credits, t.unit, t.description, t.holdSeconds, t.active, t.createdAt, t.updatedAt],
        )
      ).rows[0];
      if (!before || Number(before.credits) !== t.credits || before.unit !== t.unit) {
        await client.query('INSERT INTO tool_prices (tool_id, credits, unit, effective_at) VALUES ($1, $2, $3, $4)', [t.id, t.credits, t.unit, t.updatedAt]);
      }
      await client.query('COMMIT');
      return rows.toTool(r);
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  async getTool(id: string): Promise<Tool | null> {
    const r = await this.one('SELECT * FROM tools WHERE id = $1', [id]);
    return r ? rows.toTool(r) : null;
  }

  async listTools(): Promise<Tool[]> {
    return (await this.query('SELECT * FROM tools ORDER BY credits, id')).map(rows.toTool);
  }

  async toolPrices(toolId: string): Promise<ToolPrice[]> {
    return (await this.query('SELECT * FROM tool_prices WHERE tool_id = $1 ORDER BY seq', [toolId])).map(rows.toToolPrice);
  }

  async putPlan(p: Plan): Promise<Plan> {
    const r = await this.one(
      `INSERT INTO plans (id, name, credits_per_period, period, price_amount, price_currency, rollover_max, description, active, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, credits_per_period = excluded.credits_per_period, period = excluded.period,
         price_amount = excluded.price_amount, price_currency = excluded.price_currency, rollover_max = excluded.rollover_max,
         description = excluded.description, active = excluded.active, updated_at = excluded.updated_at
       RETURNING *`,
      [p.id, p.name, p.creditsPerPeriod, p.period, p.price.amount, p.price.currency, p.rolloverMax, p.description, p.active, p.createdAt, p.updatedAt],
    );
    return rows.toPlan(r!);
  }

  async getPlan(id: string): Promise<Plan | null> {
    const r = await this.one('SELECT * FROM plans WHERE id = $1', [id]);
    return r ? rows.toPlan(r) : null;
  }

  async listPlans(): Promise<Plan[]> {
    return (await this.query('SELECT * FROM plans ORDER BY price_amount, id')).map(rows.toPlan);
  }

  async putPack(p: Pack): Promise<Pack> {
    const r = await this.one(
      `INSERT INTO packs (id, name, credits, price_amount, price_currency, expires_in_days, description, active, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, credits = excluded.credits, price_amount = excluded.price_amount,
         price_currency = excluded.price_currency, expires_in_days = excluded.expires_in_days, description = excluded.description,
         active = excluded.active, updated_at = excluded.updated_at
       RETURNING *`,
      [p.id, p.name, p.credits, p.price.amount, p.price.currency, p.expiresInDays, p.description, p.active, p.createdAt, p.updatedAt],
    );
    return rows.toPack(r!);
  }

  async getPack(id: string): Promise<Pack | null> {
    const r = await this.one('SELECT * FROM packs WHERE id = $1', [id]);
    return r ? rows.toPack(r) : null;
  }

  async listPacks(): Promise<Pack[]> {
    return (await this.query('SELECT * FROM packs ORDER BY price_amount, id')).map(rows.toPack);
  }

  async getSubscription(customerId: string): Promise<Subscription | null> {
    const r = await this.one('SELECT * FROM subscriptions WHERE customer_id = $1', [customerId]);
    return r ? rows.toSubscription(r) : null;
  }

  async findSubscriptionByRef(providerRef: string): Promise<Subscription | null> {
    const r = await this.one('SELECT * FROM subscriptions WHERE provider_ref = $1 LIMIT 1', [providerRef]);
    return r ? rows.toSubscription(r) : null;
  }

  async getPurchase(id: string): Promise<Purchase | null> {
    const r = await this.one('SELECT * FROM purchases WHERE id = $1 LIMIT 1', [id]);
    return r ? rows.toPurchase(r) : null;
  }

  async findPurchaseByRef(ref: string): Promise<Purchase | null> {
    const r = await this.one('SELECT * FROM purchases WHERE provider_ref = $1 OR payment_ref = $1 LIMIT 1', [ref]);
    return r ? rows.toPurchase(r) : null;
  }

  async listPurchases(customerId: string, page: Page): Promise<Purchase[]> {
    const cursor = decodeGenerationCursor(page.before);
    const list = cursor
      ? await this.query(
          `SELECT * FROM purchases WHERE customer_id = $1 AND (created_at, id) < ($2, $3) ORDER BY created_at DESC, id DESC LIMIT $4`,
          [customerId, cursor.createdAt, cursor.id, page.limit],
        )
      : await this.query('SELECT * FROM purchases WHERE customer_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2', [customerId, page.limit]);
    return list.map(rows.toPurchase);
  }

  async getGeneration(id: string): Promise<Generation | null> {
    const r = await this.one(
      'SELECT g.* FROM generation_ids r JOIN generations g ON g.customer_id = r.customer_id AND g.id = r.id WHERE r.id = $1',
      [id],
    );
    return r ? rows.toGeneration(r) : null;
  }

  async listGenerations(customerId: string, page: Page): Promise<Generation[]> {
    const cursor = decodeGenerationCursor(page.before);
    const list = cursor
      ? await this.query(
          `SELECT * FROM generations WHERE customer_id = $1 AND (created_at, id) < ($2, $3) ORDER BY created_at DESC, id DESC LIMIT $4`,
          [customerId, cursor.createdAt, cursor.id, page.limit],
        )
      : await this.query('SELECT * FROM generations WHERE customer_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2', [customerId, page.limit]);
    return list.map(rows.toGeneration);
  }

  async findGrant(id: string): Promise<Grant | null> {
    const r = await this.one('SELECT * FROM grants WHERE id = $1 LIMIT 1', [id]);
    return r ? rows.toGrant(r) : null;
  }

  async listGrants(customerId: string): Promise<Grant[]> {
    return (await this.query('SELECT * FROM grants WHERE customer_id = $1 ORDER BY created_at DESC, id DESC', [customerId])).map(rows.toGrant);
  }

  async listLedger(customerId: string, page: Page): Promise<LedgerEntry[]> {
    const before = page.before === undefined ? Number.MAX_SAFE_INTEGER : Number(page.before);
    return (await this.query('SELECT * FROM ledger_entries WHERE customer_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3', [customerId, before, page.limit])).map(
      rows.toLedgerEntry,
    );
  }

  async readBalance(customerId: string, now: number) {
    const r = (await this.one(
      `SELECT
         (SELECT coalesce(json_agg(g), '[]') FROM grants g WHERE g.customer_id = $1 AND g.remaining > 0 AND g.voided_at IS NULL) AS grants,
         (SELECT coalesce(sum(cost), 0) FROM generations WHERE customer_id = $1 AND status = 'reserved') AS reserved,
         EXISTS (SELECT 1 FROM generations WHERE customer_id = $1 AND status = 'reserved' AND hold_until <= $2) AS holds_due,
         (SELECT row_to_json(s) FROM subscriptions s WHERE s.customer_id = $1) AS subscription`,
      [customerId, now],
    )) as Record<string, any>;
    return {
      grants: (r.grants as Row[]).map(rows.toGrant),
      reserved: Number(r.reserved),
      holdsDue: r.holds_due === true,
      subscription: r.subscription ? rows.toSubscription(r.subscription) : null,
    };
  }

  async dueCustomers(now: number, limit: number): Promise<string[]> {
    const list = await this.query(
      `SELECT customer_id FROM generations WHERE status = 'reserved' AND hold_until <= $1
       UNION SELECT customer_id FROM grants WHERE remaining > 0 AND voided_at IS NULL AND expires_at IS NOT NULL AND expires_at <= $1
       UNION SELECT customer_id FROM subscriptions WHERE status = 'active' AND driven_by = 'purse' AND current_period_end <= $1
       UNION SELECT customer_id FROM grants WHERE warn_at IS NOT NULL AND warn_at <= $1 AND remaining > 0 AND voided_at IS NULL
       LIMIT $2`,
      [now, limit],
    );
    return list.map((r) => r.customer_id as string);
  }

  async reportLedgerByDay(from: number, to: number) {
    const list = await this.query(
      `SELECT created_at / 86400000 AS day, type, sum(amount)::bigint AS amount FROM ledger_entries
        WHERE created_at >= $1 AND created_at < $2 GROUP BY 1, 2 ORDER BY 1`,
      [from, to],
    );
    return list.map((r) => ({ day: Number(r.day), type: r.type as LedgerEntry['type'], amount: Number(r.amount) }));
  }

  async reportGenerationsByTool(from: number, to: number) {
    const list = await this.query(
      `SELECT tool_id, status, count(*)::bigint AS n, sum(charged)::bigint AS charged, sum(refunded)::bigint AS refunded FROM generations
        WHERE created_at >= $1 AND created_at < $2 GROUP BY tool_id, status`,
      [from, to],
    );
    return list.map((r) => ({ toolId: r.tool_id as string, status: r.status as Generation['status'], count: Number(r.n), charged: Number(r.charged), refunded: Number(r.refunded) }));
  }

  async reportOutstanding(now: number) {
    const bySource = (
      await this.query(
        `SELECT source, sum(remaining)::bigint AS available FROM grants
          WHERE remaining > 0 AND voided_at IS NULL AND (expires_at IS NULL OR expires_at > $1) GROUP BY source ORDER BY source`,
        [now],
      )
    ).map((r) => ({ source: r.source as Grant['source'], available: Number(r.available) }));
    const held = await this.one("SELECT coalesce(sum(cost), 0)::bigint AS reserved FROM generations WHERE status = 'reserved'");
    return { bySource, reserved: Number(held!.reserved) };
  }

  async audit(): Promise<AuditReport> {
    const client = await this.pool.connect();
    try {
      // One consistent view of every table for the whole check.
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const q = async (sql: string) => (await client.query(sql)).rows as Record<string, any>[];
      const report = compareWithLedger({
        grants: (await q('SELECT customer_id, id, amount, remaining FROM grants')).map((r) => ({ customerId: r.customer_id, id: r.id, amount: r.amount, remaining: r.remaining })),
        ledgerByGrant: (
          await q(`SELECT customer_id, grant_id, sum(available_delta)::bigint AS available,
                     sum(CASE WHEN type = 'grant' THEN amount ELSE 0 END)::bigint AS granted,
                     sum(CASE WHEN type = 'grant' THEN 1 ELSE 0 END)::bigint AS grant_entries
                   FROM ledger_entries GROUP BY customer_id, grant_id`)
        ).map((r) => ({ customerId: r.customer_id, grantId: r.grant_id, available: r.available, granted: r.granted, grantEntries: r.grant_entries })),
        generations: (await q('SELECT customer_id, id, status, cost, charged, refunded FROM generations')).map((r) => ({
          customerId: r.customer_id, id: r.id, status: r.status, cost: r.cost, charged: r.charged, refunded: r.refunded,
        })),
        ledgerByGeneration: (
          await q(`SELECT customer_id, generation_id, sum(reserved_delta)::bigint AS reserved,
                     sum(CASE type WHEN 'charge' THEN amount WHEN 'refund' THEN -amount ELSE 0 END)::bigint AS spent
                   FROM ledger_entries WHERE generation_id IS NOT NULL GROUP BY customer_id, generation_id`)
        ).map((r) => ({ customerId: r.customer_id, generationId: r.generation_id, reserved: r.reserved, spent: r.spent })),
        entries: Number((await q('SELECT count(*)::bigint AS n FROM ledger_entries'))[0]!.n),
        malformedEntries: (await q(MALFORMED_ENTRIES_SQL)).map((r) => ({ id: r.id, type: r.type, amount: r.amount, availableDelta: r.available_delta, reservedDelta: r.reserved_delta })),
      });
      await client.query('COMMIT');
      return report;
    } finally {
      client.release();
    }
  }

  async pruneIdempotency(before: number, limit: number): Promise<number> {
    const res = await this.pool.query(
      `DELETE FROM idempotency_keys WHERE (customer_id, key) IN
         (SELECT customer_id, key FROM idempotency_keys WHERE created_at < $1 LIMIT $2)`,
      [before, limit],
    );
    return res.rowCount ?? 0;
  }

  async insertApiKey(k: ApiKeyRecord): Promise<void> {
    await this.query('INSERT INTO api_keys (id, name, prefix, hash, created_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6)', [k.id, k.name, k.prefix, k.hash, k.createdAt, k.revokedAt]);
  }

  async findApiKeyByHash(hash: string): Promise<ApiKeyRecord | null> {
    const r = await this.one('SELECT * FROM api_keys WHERE hash = $1', [hash]);
    return r ? rows.toApiKey(r) : null;
  }

  async listApiKeys(): Promise<ApiKeyRecord[]> {
    return (await this.query('SELECT * FROM api_keys ORDER BY created_at')).map(rows.toApiKey);
  }

  async revokeApiKey(id: string, at: number): Promise<boolean> {
    return (await this.pool.query('UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [at, id])).rowCount! > 0;
  }

  async setCustomerAlerts(customerId: string, alerts: Partial<AlertSettings> | null): Promise<void> {
    await this.query('UPDATE customers SET alerts = $1 WHERE id = $2', [alerts ? JSON.stringify(alerts) : null, customerId]);
  }

  async listEvents(filter: EventFilter, page: Page): Promise<PurseEvent[]> {
    const c = decodeEventCursor(page.before);
    if (filter.customerId !== undefined) {
      return (
        await this.query('SELECT * FROM events WHERE customer_id = $1 AND seq < $2 AND ($3::text IS NULL OR type = $3) ORDER BY seq DESC LIMIT $4', [
          filter.customerId, c ? c.seq : Number.MAX_SAFE_INTEGER, filter.type ?? null, page.limit,
        ])
      ).map(rows.toEvent);
    }
    return (
      await this.query(
        `SELECT * FROM events WHERE ($1::text IS NULL OR type = $1) AND ($2::int IS NULL OR (created_at, customer_id, seq) < ($3, $4, $5))
          ORDER BY created_at DESC, customer_id DESC, seq DESC LIMIT $6`,
        [filter.type ?? null, c ? 1 : null, c?.createdAt ?? 0, c?.customerId ?? '', c?.seq ?? 0, page.limit],
      )
    ).map(rows.toEvent);
  }

  async getEvent(id: string): Promise<PurseEvent | null> {
    const r = await this.one('SELECT * FROM events WHERE id = $1 LIMIT 1', [id]);
    return r ? rows.toEvent(r) : null;
  }

  async putWebhookEndpoint(e: WebhookEndpoint): Promise<void> {
    await this.query(numbered(W.upsertEndpoint), endpointParams(e));
  }

  async getWebhookEndpoint(id: string): Promise<WebhookEndpoint | null> {
    const r = await this.one(numbered(W.getEndpoint), [id]);
    return r ? toEndpoint(r) : null;
  }

  async listWebhookEndpoints(): Promise<WebhookEndpoint[]> {
    return (await this.query(W.listEndpoints)).map(toEndpoint);
  }

  async deleteWebhookEndpoint(id: string): Promise<boolean> {
    return this.inTransaction(async (c) => {
      await c.query(numbered(W.dropPendingOf), [id]);
      return ((await c.query(numbered(W.deleteEndpoint), [id])).rowCount ?? 0) > 0;
    });
  }

  async dispatchEvents(now: number, limit: number): Promise<number> {
    if ((await this.query(W.anyUndispatched)).length === 0) return 0;
    return this.inTransaction(async (c) => {
      // Another process's worker holds the rows it is dispatching: take the next ones.
      const events = (
        await c.query('SELECT customer_id, seq, id, type FROM events WHERE dispatched = 0 ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED', [limit])
      ).rows;
      const endpoints = (await c.query(W.enabledEndpoints)).rows.map(toEndpoint);
      for (const e of events) {
        for (const endpoint of endpoints) {
          if (!endpointWants(endpoint, e.type as EventType)) continue;
          await c.query(numbered(W.insertDelivery), deliveryParams(newDelivery(endpoint.id, e.id as string, e.customer_id as string, now)));
        }
        await c.query(numbered(W.markDispatched), [e.customer_id, e.seq]);
      }
      return events.length;
    });
  }

  async enqueueDeliveries(deliveries: WebhookDelivery[]): Promise<void> {
    await this.inTransaction(async (c) => {
      for (const d of deliveries) await c.query(numbered(W.insertDelivery), deliveryParams(d));
    });
  }

  async claimDeliveries(now: number, limit: number, leaseMs: number): Promise<WebhookDelivery[]> {
    const rows = await this.query(
      `UPDATE webhook_deliveries SET locked_until = $1 WHERE id IN (
         SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
          WHERE d.status = 'pending' AND d.next_attempt_at <= $2 AND (d.locked_until IS NULL OR d.locked_until <= $2) AND e.status = 'enabled'
          ORDER BY d.next_attempt_at LIMIT $3 FOR UPDATE OF d SKIP LOCKED)
       RETURNING *`,
      [now + leaseMs, now, limit],
    );
    return rows.map(toDelivery);
  }

  async recordAttempts(results: AttemptResult[], disable: { maxFailures: number; windowMs: number; reason: (failed: WebhookAttempt) => string }): Promise<void> {
    await this.inTransaction(async (c) => {
      for (const { attempt: a, delivery: d } of results) {
        await c.query(numbered(W.insertAttempt), attemptParams(a));
        await c.query(numbered(W.updateDelivery), [d.status, d.attempts, d.nextAttemptAt, d.lockedUntil, d.updatedAt, d.id]);
        if (a.error === null) await c.query(numbered(W.endpointSucceeded), [a.endpointId]);
        else await c.query(numbered(W.endpointFailed), endpointFailedParams(a.endpointId, a.at, disable.maxFailures, disable.windowMs, disable.reason(a)));
      }
    });
  }

  async listWebhookAttempts(endpointId: string, page: Page): Promise<WebhookAttempt[]> {
    const c = decodeAttemptCursor(page.before);
    return (await this.query(numbered(W.listAttempts), [endpointId, c?.at ?? Number.MAX_SAFE_INTEGER, c?.id ?? '', page.limit])).map(toAttempt);
  }

  /** Runs `work` in one transaction on one connection. */
  private async inTransaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  async getMeta(key: string): Promise<string | null> {
    const r = await this.one('SELECT value FROM meta WHERE key = $1', [key]);
    return r ? (r.value as string) : null;
  }

  async setMeta(key: string, value: string): Promise<void> {
    await this.query('INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value]);
  }

  async getOrSetMeta(key: string, init: () => string): Promise<string> {
    await this.query('INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [key, init()]);
    return (await this.getMeta(key))!;
  }
}

interface PendingWrite {
  load: CustomerLoad;
  decide: (s: CustomerSnapshot) => Decision<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

interface CustomerQueue {
  pending: PendingWrite[];
  running: boolean;
}

/** The most writes one `purse_apply` call carries. */
const MAX_BATCH = 128;

/** How often a batch is decided again after losing a generation id to another customer's write. */
const MAX_ID_RACE_RETRIES = 3;

function isGenerationIdTaken(error: unknown): boolean {
  const e = error as { code?: string; constraint?: string };
  return e?.code === '23505' && e.constraint === 'generation_ids_pkey';
}

interface MergedLoad {
  now: number;
  generationIds: string[];
  grantIds: string[];
  idempotencyKeys: string[];
  planIds: string[];
  purchaseIds: string[];
}

interface LoadedCustomer extends Omit<CustomerSnapshot, 'idempotency'> {
  customerId: string;
  version: number | null;
  idempotency: Map<string, IdempotencyRecord>;
}

/** What a batch needs loaded: everything any of its writes needs, as of the latest of their times. */
function mergeLoads(loads: CustomerLoad[]): MergedLoad {
  const set = (pick: (l: CustomerLoad) => readonly string[] | undefined) => [...new Set(loads.flatMap((l) => pick(l) ?? []))];
  return {
    now: Math.max(...loads.map((l) => l.now)),
    generationIds: set((l) => l.generationIds),
    grantIds: set((l) => l.grantIds),
    idempotencyKeys: set((l) => (l.idempotencyKey === undefined ? [] : [l.idempotencyKey])),
    planIds: set((l) => l.planIds),
    purchaseIds: set((l) => l.purchaseIds),
  };
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * Decides each write of a batch on the state the writes before it left, and
 * gathers everything they changed into one `purse_apply` argument (null when
 * nothing changed). Rows changed twice are written once, as they ended.
 */
function decideInTurn(loaded: LoadedCustomer, batch: PendingWrite[]): { outcomes: Outcome[]; changes: string | null } {
  const grants = new Map(loaded.grants.map((g) => [g.id, g]));
  const generations = new Map(loaded.generations.map((g) => [g.id, g]));
  const purchases = new Map(loaded.purchases.map((p) => [p.id, p]));
  const idempotency = new Map(loaded.idempotency);
  let subscription = loaded.subscription;
  const insert = { grants: new Map<string, Grant>(), generations: new Map<string, Generation>(), purchases: new Map<string, Purchase>() };
  const update = { grants: new Map<string, Grant>(), generations: new Map<string, Generation>(), purchases: new Map<string, Purchase>() };
  const ledger: CustomerChanges['ledger'] = [];
  const events: CustomerChanges['events'] = [];
  const newKeys: IdempotencyRecord[] = [];
  let subscriptionChanged = false;

  const upsert = <T extends { id: string }>(ins: Map<string, T>, upd: Map<string, T>, state: Map<string, T>, inserted: T[], updated: T[]) => {
    for (const row of inserted) {
      ins.set(row.id, row);
      state.set(row.id, row);
    }
    for (const row of updated) {
      (ins.has(row.id) ? ins : upd).set(row.id, row);
      state.set(row.id, row);
    }
  };

  const outcomes = batch.map((write): Outcome => {
    const key = write.load.idempotencyKey;
    const view: CustomerSnapshot = {
      customer: loaded.customer,
      grants: [...grants.values()],
      generations: [...generations.values()],
      idempotency: key === undefined ? null : (idempotency.get(key) ?? null),
      subscription,
      plans: loaded.plans,
      purchases: [...purchases.values()],
    };
    let decision: Decision<unknown>;
    try {
      decision = write.decide(view);
    } catch (error) {
      return { ok: false, error };
    }
    const c = decision.changes;
    upsert(insert.grants, update.grants, grants, c.insertGrants, c.updateGrants);
    upsert(insert.generations, update.generations, generations, c.insertGenerations, c.updateGenerations);
    upsert(insert.purchases, update.purchases, purchases, c.insertPurchases, c.updatePurchases);
    ledger.push(...c.ledger);
    events.push(...c.events);
    if (c.idempotency) {
      idempotency.set(c.idempotency.key, c.idempotency);
      newKeys.push(c.idempotency);
    }
    if (c.subscription) {
      subscription = c.subscription;
      subscriptionChanged = true;
    }
    return { ok: true, value: decision.result };
  });

  const nothing =
    insert.grants.size + update.grants.size + insert.generations.size + update.generations.size + insert.purchases.size + update.purchases.size + ledger.length + newKeys.length + events.length === 0 &&
    !subscriptionChanged;
  if (nothing) return { outcomes, changes: null };
  const changes = JSON.stringify({
    insertGrants: [...insert.grants.values()].map(rows.grantParams),
    updateGrants: [...update.grants.values()].map(rows.grantParams),
    insertGenerations: [...insert.generations.values()].map(rows.generationParams),
    updateGenerations: [...update.generations.values()].map(rows.generationParams),
    ledger: ledger.map(rows.ledgerParams),
    idempotency: newKeys.map((k) => ({
      customer_id: loaded.customerId,
      key: k.key,
      request_hash: k.requestHash,
      status_code: k.statusCode,
      response: JSON.stringify(k.response),
      created_at: k.createdAt,
    })),
    subscription: subscriptionChanged && subscription ? [rows.subscriptionParams(subscription)] : [],
    insertPurchases: [...insert.purchases.values()].map(rows.purchaseParams),
    updatePurchases: [...update.purchases.values()].map(rows.purchaseParams),
    events: events.map((e) => ({ id: e.id, type: e.type, created_at: e.createdAt, data: JSON.stringify(e.data) })),
  });
  return { outcomes, changes };
}
