import pg from 'pg';
import type { Generation, Grant, Purchase, Subscription, Tool } from '../../domain/types.js';
import { loadMigrations, loadRepeatable, splitStatements } from '../migrations.js';
import * as rows from '../rows.js';
import { byCustomer, SqlStore, type Row, type SqlDialect, type SqlRunner } from '../sql-store.js';
import type { CustomerLoad, CustomerSnapshot, Decision, Store, StoreCapabilities, WriteStats } from '../store.js';
import { numbered } from '../webhook-queries.js';
import { checkout } from './checkout.js';
import { CitusNodes } from './citus-nodes.js';
import { CustomerBatches, oneDatabase, type WriteRoutes } from './customer-batches.js';

/** The outbox's oldest undispatched events, found across shards without a lock (each is then held, or marked, on its customer's shard). */
const OLDEST_UNDISPATCHED = '/* cross-shard: the delivery worker’s outbox, bounded by its batch */ SELECT customer_id, seq FROM events WHERE dispatched = 0 ORDER BY created_at LIMIT ?';

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
 * The production store: the queries it shares with SQLite are in
 * {@link SqlStore}; its write engine (per-customer batches, one `purse_apply`
 * call each) is in {@link CustomerBatches}.
 */
export class PostgresStore extends SqlStore implements Store {
  readonly kind = 'postgres' as const;
  readonly capabilities: StoreCapabilities = { multiProcess: true };
  protected readonly dialect: SqlDialect = {
    forUpdate: ' FOR UPDATE',
    skipLocked: (of?: string) => (of ? ` FOR UPDATE OF ${of} SKIP LOCKED` : ' FOR UPDATE SKIP LOCKED'),
    bumpVersion: ', version = version + 1',
    true: 'true',
  };
  readonly pool: pg.Pool;
  private readonly writes: CustomerBatches;
  /** On Citus: pools to the nodes, by where the write path's shards are. */
  private readonly nodes: CitusNodes;
  /** Shared queries with their `?` turned into `$1, $2 …`, converted once each. */
  private readonly texts = new Map<string, string>();

  /**
   * `pg` (node-postgres) rather than postgres.js: with named (prepared) statements
   * for the two hot ones it is as fast (bench/drivers.ts), and it is the most used
   * driver, with explicit clients for the row-lock fallback and migrations.
   */
  constructor(connectionString: string, opts: { max?: number; onIdleError?: (err: Error) => void; syncEachCommit?: boolean } = {}) {
    super();
    // Plans are made for each call's values: a plan cached while a table was small (a fresh
    // database) would otherwise keep scanning it whole long after it has grown. purse_apply's own
    // statements, which read every table by its key, keep one plan each (purse_apply.sql).
    const poolOptions: pg.PoolConfig = { max: opts.max ?? 10, types, options: `-c plan_cache_mode=force_custom_plan${opts.syncEachCommit === false ? ' -c synchronous_commit=off' : ''}` };
    this.pool = new pg.Pool({ connectionString, ...poolOptions });
    this.oneDatabase = oneDatabase(this.pool);
    // An idle connection the server closed (a restart, a failover) is dropped from the pool;
    // the next query opens a new one. Without a listener the error would end the process.
    this.pool.on('error', (err) => opts.onIdleError?.(err));
    this.nodes = new CitusNodes(this.pool, connectionString, poolOptions, opts.onIdleError);
    this.writes = new CustomerBatches(this.pool, undefined, () => this.writeRoutes());
  }

  private text(sql: string): string {
    let text = this.texts.get(sql);
    if (text === undefined) this.texts.set(sql, (text = numbered(sql)));
    return text;
  }

  async all(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    return (await this.pool.query(this.text(sql), params as unknown[])).rows;
  }

  async run(sql: string, params: readonly unknown[] = []): Promise<number> {
    return (await this.pool.query(this.text(sql), params as unknown[])).rowCount ?? 0;
  }

  protected inTransaction<T>(work: (tx: SqlRunner) => Promise<T>): Promise<T> {
    return this.onOneClient('BEGIN', work);
  }

  /** The whole database as of one instant, for the ledger check. */
  protected inReadSnapshot<T>(work: (tx: SqlRunner) => Promise<T>): Promise<T> {
    return this.onOneClient('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', work);
  }

  private async onOneClient<T>(begin: string, work: (tx: SqlRunner) => Promise<T>): Promise<T> {
    const { client, release } = await checkout(this.pool);
    const tx: SqlRunner = {
      all: async (sql, params = []) => (await client.query(this.text(sql), params as unknown[])).rows,
      run: async (sql, params = []) => (await client.query(this.text(sql), params as unknown[])).rowCount ?? 0,
    };
    try {
      await client.query(begin);
      const result = await work(tx);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      release();
    }
  }

  protected async hasTable(name: string): Promise<boolean> {
    return (await this.one('SELECT to_regclass(CAST(? AS TEXT)) IS NOT NULL AS present', [name]))?.present === true;
  }

  async migrate(): Promise<void> {
    const { client, release } = await checkout(this.pool);
    try {
      await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
      await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)');
      const done = new Set((await client.query('SELECT version FROM schema_migrations')).rows.map((r) => Number(r.version)));
      for (const m of loadMigrations('postgres')) {
        if (done.has(m.version)) continue;
        await client.query('BEGIN');
        try {
          for (const statement of splitStatements(m.sql)) await client.query(statement);
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
          for (const statement of splitStatements(f.sql)) await client.query(statement);
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
      release();
    }
  }

  async appliedFunctions(): Promise<Map<string, string>> {
    const exists = await this.one("SELECT to_regclass('schema_functions') IS NOT NULL AS present");
    if (!exists?.present) return new Map();
    return new Map((await this.all('SELECT name, checksum FROM schema_functions')).map((r) => [String(r.name), String(r.checksum)]));
  }

  async close(): Promise<void> {
    await this.nodes.close();
    await this.pool.end();
  }

  transact<R>(customerId: string, load: CustomerLoad, decide: (s: CustomerSnapshot) => Decision<R>): Promise<R> {
    return this.announcingEvents((watched) => this.writes.transact(customerId, load, watched), decide);
  }

  writeStats(): WriteStats {
    return this.writes.writeStats();
  }

  override async putTool(t: Tool): Promise<Tool> {
    // The write engine would find its kept row changed at the next reservation and read it again; this spares that round trip.
    try {
      return await super.putTool(t);
    } finally {
      this.writes.forgetTools();
    }
  }

  /** A generation named by id alone: its owner from the routed lookup, then the row on the owner's shard. */
  async getGeneration(id: string): Promise<Generation | null> {
    const owner = await this.one('SELECT customer_id FROM generation_ids WHERE id = $1', [id]);
    if (!owner) return null;
    const r = await this.one('SELECT * FROM generations WHERE customer_id = $1 AND id = $2', [owner.customer_id, id]);
    return r ? rows.toGeneration(r) : null;
  }

  async findGrant(id: string): Promise<Grant | null> {
    const owner = await this.ownerOf(`grant:${id}`);
    const r = owner === null ? null : await this.one('SELECT * FROM grants WHERE customer_id = $1 AND id = $2', [owner, id]);
    return r ? rows.toGrant(r) : null;
  }

  async getPurchase(id: string): Promise<Purchase | null> {
    const owner = await this.ownerOf(`purchase:${id}`);
    const r = owner === null ? null : await this.one('SELECT * FROM purchases WHERE customer_id = $1 AND id = $2', [owner, id]);
    return r ? rows.toPurchase(r) : null;
  }

  async findPurchaseByRef(ref: string): Promise<Purchase | null> {
    const owner = await this.ownerOf(`payment:${ref}`);
    const r = owner === null ? null : await this.one('SELECT * FROM purchases WHERE customer_id = $1 AND (provider_ref = $2 OR payment_ref = $2) LIMIT 1', [owner, ref]);
    return r ? rows.toPurchase(r) : null;
  }

  async findSubscriptionByRef(providerRef: string): Promise<Subscription | null> {
    const owner = await this.ownerOf(`subscription:${providerRef}`);
    const r = owner === null ? null : await this.one('SELECT * FROM subscriptions WHERE customer_id = $1 AND provider_ref = $2', [owner, providerRef]);
    return r ? rows.toSubscription(r) : null;
  }

  /** The customer a reference (`grant:<id>`, `purchase:<id>`, `payment:<ref>`, `subscription:<ref>`) belongs to: one single-shard read. */
  private async ownerOf(ref: string): Promise<string | null> {
    const r = await this.one('SELECT customer_id FROM customer_refs WHERE ref = $1', [ref]);
    return r ? (r.customer_id as string) : null;
  }

  /**
   * On Citus a statement that locks rows must name one shard: the outbox's
   * events are found across shards without a lock, then held one customer at a
   * time (skipping those another worker holds).
   */
  protected override async takeUndispatched(tx: SqlRunner, columns: string, take: number): Promise<Row[]> {
    if (!(await this.distributed())) return super.takeUndispatched(tx, columns, take);
    const found = await tx.all(OLDEST_UNDISPATCHED, [take]);
    const held: Row[] = [];
    for (const [customerId, seqs] of byCustomer(found, (r) => Number(r.seq))) {
      held.push(...(await tx.all(`SELECT ${columns}, created_at AS taken_at FROM events WHERE customer_id = ? AND seq = ANY(CAST(? AS bigint[])) AND dispatched = 0 FOR UPDATE SKIP LOCKED`, [customerId, seqs])));
    }
    return held.sort((a, b) => Number(a.taken_at) - Number(b.taken_at));
  }

  /**
   * On Citus, events no endpoint will be sent are marked one customer at a time, each
   * customer's in one statement and transaction of its own on the node holding its
   * shard (held with SKIP LOCKED, as in the turn's transaction): through the
   * coordinator, in the turn's transaction, each customer was two statements there and
   * the turn a two-phase commit across the nodes. Nothing else is written with them, so
   * nothing needs them in the turn's transaction.
   */
  protected override async markUnsent(tx: SqlRunner, take: number): Promise<number> {
    if (!(await this.distributed())) return super.markUnsent(tx, take);
    const found = await tx.all(OLDEST_UNDISPATCHED, [take]);
    await this.nodes.fresh();
    let marked = 0;
    for (const [customerId, seqs] of byCustomer(found, (r) => Number(r.seq))) {
      const res = await this.nodes.poolFor('customers', customerId).query(
        `UPDATE events SET dispatched = 1 WHERE customer_id = $1 AND seq IN
           (SELECT seq FROM events WHERE customer_id = $1 AND seq = ANY($2::bigint[]) AND dispatched = 0 FOR UPDATE SKIP LOCKED)`,
        [customerId, seqs],
      );
      marked += res.rowCount ?? 0;
    }
    return marked;
  }

  private isDistributed: Promise<boolean> | undefined;

  /**
   * Whether this database's events are distributed by Citus (`purse distribute` ran
   * before the server started): the outbox is then held one customer at a time, a new
   * generation's id is claimed in its own transaction before the write, and purse_apply
   * writes one row per statement.
   */
  protected distributed(): Promise<boolean> {
    this.isDistributed ??= (async () => {
      if ((await this.one("SELECT to_regclass('pg_dist_partition') IS NOT NULL AS citus"))?.citus !== true) return false;
      return (await this.one("SELECT EXISTS (SELECT 1 FROM pg_dist_partition WHERE logicalrelid = to_regclass('events')) AS distributed"))?.distributed === true;
    })();
    return this.isDistributed;
  }

  private readonly oneDatabase: WriteRoutes;
  private readonly citusRoutes: WriteRoutes = {
    distributed: true,
    customer: (customerId) => this.nodes.poolFor('customers', customerId),
    generationId: (id) => this.nodes.poolFor('generation_ids', id),
    onCustomerNode: (customerId, id) => this.nodes.sameNode(customerId, id),
  };

  /**
   * Where the write engine sends a batch's statements. On Citus a customer's snapshot
   * and purse_apply go straight to the node holding its shard (any node with the
   * metadata runs them; the coordinator would plan each, send it on and relay the
   * answer), a new generation id is claimed on the node holding its row before the
   * write, unless that is the customer's node, and purse_apply writes one row per statement.
   */
  protected async writeRoutes(): Promise<WriteRoutes> {
    if (!(await this.distributed())) return this.oneDatabase;
    await this.nodes.fresh();
    return this.citusRoutes;
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

  async pruneIdempotency(before: number, limit: number): Promise<number> {
    const res = await this.pool.query(
      `/* cross-shard: pruning of every customer's old keys, bounded by $2 */ DELETE FROM idempotency_keys WHERE (customer_id, key) IN
         (SELECT customer_id, key FROM idempotency_keys WHERE created_at < $1 LIMIT $2)`,
      [before, limit],
    );
    return res.rowCount ?? 0;
  }

}
