import pg from 'pg';
import type { Customer, Generation, Grant, Purchase, Subscription, Tool } from '../../domain/types.js';
import { windowKey, windowStarts, type SpendWindow } from '../../domain/limits.js';
import { RowChanges } from '../row-changes.js';
import * as rows from '../rows.js';
import { byCustomer } from '../sql-store.js';
import type { CustomerChanges, CustomerLoad, CustomerSnapshot, Decision, IdempotencyRecord, WriteStats } from '../store.js';
import { isHoldDue } from '../../domain/expiry.js';
import { checkout } from './checkout.js';
import { covers, CustomerCache, MAX_CACHED_HOLDS, type CachedCustomer } from './customer-cache.js';

type Row = Record<string, unknown>;

/**
 * One statement that reads everything a customer-scoped write needs: the customer
 * (with its version), live grants, the generations named and the holds that ran
 * out, the grants those generations used, the idempotency record, the
 * subscription with its plans, the purchases and the tools named. Every table it reads is
 * filtered by the customer (or is a catalog table), so on Citus it is one
 * single-shard (router) query. A generation id another customer holds is not
 * looked for here: purse_apply's insert into generation_ids refuses it, and the
 * write is decided again with {@link FOREIGN_GENERATIONS_SQL} (the slow path).
 */
const SNAPSHOT_SQL = `
WITH gens AS (
  SELECT * FROM generations WHERE customer_id = $1 AND id = ANY($2::text[])
  UNION
  SELECT * FROM generations WHERE customer_id = $1 AND status = 'reserved' AND hold_until <= $4
  UNION
  -- Every open hold while the customer has few ($10), so the write engine can keep them all
  -- (customer-cache.ts). A branch of its own: the test runs once, before the scan, and the due
  -- holds above keep reading only the index's due end however many holds are open.
  SELECT * FROM generations WHERE customer_id = $1 AND status = 'reserved' AND (SELECT in_flight FROM customers WHERE id = $1) <= $10
), sub AS (
  SELECT * FROM subscriptions WHERE customer_id = $1
), c AS (
  SELECT * FROM customers WHERE id = $1
)
SELECT
  (SELECT row_to_json(c) FROM c) AS customer,
  (SELECT in_flight <= $10 FROM c) AS all_holds,
  (SELECT coalesce(json_agg(g), '[]') FROM grants g
    WHERE g.customer_id = $1
      AND ((g.remaining > 0 AND g.voided_at IS NULL) OR g.id = ANY($3::text[])
           OR g.id IN (SELECT a->>'grantId' FROM gens, jsonb_array_elements(gens.allocations::jsonb) a WHERE gens.customer_id = $1))) AS grants,
  (SELECT coalesce(json_agg(gens), '[]') FROM gens) AS generations,
  (SELECT coalesce(json_agg(i), '[]') FROM idempotency_keys i WHERE i.customer_id = $1 AND i.key = ANY($5::text[])) AS idempotency,
  (SELECT row_to_json(sub) FROM sub) AS subscription,
  (SELECT coalesce(json_agg(p), '[]') FROM plans p
    WHERE p.id = ANY($6::text[]) OR p.id IN (SELECT plan_id FROM sub UNION SELECT pending_plan_id FROM sub)) AS plans,
  (SELECT coalesce(json_agg(p), '[]') FROM purchases p WHERE p.customer_id = $1 AND p.id = ANY($7::text[])) AS purchases,
  -- Spend windows only while limits are in force (the customer's own or its active plan's), or a
  -- generation being settled was counted in them: a customer without limits reads nothing more.
  -- A member's reservation (issue 15) is always counted, so naming a member loads them too.
  CASE WHEN (SELECT limits FROM c) IS NOT NULL
         OR (SELECT p.limits FROM plans p JOIN sub ON p.id = sub.plan_id AND sub.status = 'active') IS NOT NULL
         OR EXISTS (SELECT 1 FROM gens WHERE gens.customer_id = $1 AND gens.counted = 1)
         OR cardinality($9::text[]) > 0
       THEN (SELECT coalesce(json_agg(w), '[]') FROM spend_windows w WHERE w.customer_id = $1 AND w.window_start = ANY($8::bigint[]))
  END AS spend_windows,
  (SELECT coalesce(json_agg(m), '[]') FROM members m WHERE m.customer_id = $1 AND m.member_id = ANY($9::text[])) AS members,
  (SELECT coalesce(json_agg(t), '[]') FROM tools t WHERE t.id = ANY($11::text[])) AS tools`;

/** Which other customers hold the generation ids a write names: the routed lookup, one shard per id. */
const FOREIGN_OWNERS_SQL = 'SELECT id, customer_id FROM generation_ids WHERE id = ANY($1::text[]) AND customer_id <> $2 /* cross-shard: the slow path of a taken generation id, bounded by the ids one batch names */';
/** One other customer's generations by id, read on that customer's shard. */
const FOREIGN_GENERATIONS_SQL = 'SELECT * FROM generations WHERE customer_id = $1 AND id = ANY($2::text[])';

const APPLY_SQL = 'SELECT purse_apply($1, $2, $3::jsonb) AS ok';
/** Several customers' writes in one call: [[customer, version, changes], …]. */
const APPLY_ALL_SQL = 'SELECT purse_apply_all($1::jsonb) AS oks';

/** Claims a new generation id for its customer, alone in its transaction: one row on the id's shard. */
const CLAIM_GENERATION_ID_SQL = 'INSERT INTO generation_ids (id, customer_id) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING';
/** Who holds a generation id the claim found taken. */
const GENERATION_ID_OWNER_SQL = 'SELECT customer_id FROM generation_ids WHERE id = $1';

/**
 * PostgreSQL's write engine. A customer-scoped write is two round trips and
 * holds no lock between them: one statement reads the snapshot, one function
 * call (`purse_apply`) writes the decision if the customer's version is
 * unchanged. When another write got there first, the decision is made again on
 * a fresh snapshot — after a few such conflicts under a row lock, so a hot
 * customer cannot starve.
 */
export class CustomerBatches {
  private readonly queues = new Map<string, CustomerQueue>();
  /** Writes waiting for the shared commit, and how many of its calls are out. */
  private readonly shared: SharedWrite[] = [];
  private sharedCalls = 0;
  /**
   * The tools reservations fixed prices from, as last read by a snapshot (existing ones only,
   * so as many as the catalog holds): a write decided on one sends its row back, and
   * purse_apply writes nothing if it changed since.
   */
  private readonly tools = new Map<string, KeptTool>();
  private readonly stats: Required<WriteStats> = { commits: 0, writes: 0, conflicts: 0, fromKeptState: 0 };

  /**
   * `cache`: the state kept of the customers this process writes, so that a write
   * to one needs no snapshot (one round trip instead of two); null keeps none.
   */
  constructor(
    private readonly pool: pg.Pool,
    private readonly cache: CustomerCache | null = new CustomerCache(KEPT_CUSTOMERS),
    /** Where a batch's statements go (asked once per batch): one database, or the nodes of a Citus cluster. */
    private readonly routes: () => Promise<WriteRoutes> = async () => oneDatabase(pool),
  ) {}

  /** Forgets the kept tools (this process wrote one): the next reservation reads its tool again. */
  forgetTools(): void {
    this.tools.clear();
  }

  /** How many writes each `purse_apply` carried, and how many decisions were made again. */
  writeStats(): WriteStats {
    return { ...this.stats };
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


  private async drain(customerId: string, queue: CustomerQueue): Promise<void> {
    while (queue.pending.length > 0) await this.runBatch(customerId, queue.pending.splice(0, MAX_BATCH));
    queue.running = false;
    this.queues.delete(customerId);
  }

  /** Decides and writes one batch; settles every write in it, never throws. */
  private async runBatch(customerId: string, batch: PendingWrite[]): Promise<void> {
    const load = mergeLoads(batch.map((w) => w.load));
    const routes = await this.routes();
    const distributed = routes.distributed;
    const pool = routes.customer(customerId);
    if (await this.runOnKeptState(customerId, batch, load, routes)) return;
    // Set once purse_apply found a named generation id held by another customer: from then on the
    // snapshot also reads the ids' owners, so the decision sees the id taken.
    let idTaken = false;
    for (let attempt = 0; ; attempt++) {
      // After a few lost races, hold the customer's row lock so a hot customer cannot starve.
      const held = attempt >= 3 ? await checkout(this.pool) : null;
      const client = held?.client ?? null;
      try {
        if (client) {
          await client.query('BEGIN');
          await client.query('SELECT 1 FROM customers WHERE id = $1 FOR UPDATE', [customerId]);
        }
        const loaded = await this.snapshot(client ?? pool, customerId, load, idTaken);
        // Under the row lock the ids are written by purse_apply in its transaction, as on plain
        // PostgreSQL: a claim would need a second connection while this one is held.
        const claims = distributed && client === null;
        const { outcomes, changes, end, idsToClaim } = decideInTurn(loaded, batch, { claimedBefore: claims ? (id) => !routes.onCustomerNode(customerId, id) : null, oneRowEach: distributed });
        let applied = true;
        if (loaded.version !== null && changes !== null) {
          if (claims && !(await this.claimGenerationIds(routes, customerId, idsToClaim))) {
            idTaken = true;
            continue;
          }
          const res = await (client ?? pool).query({ name: 'purse_apply', text: APPLY_SQL, values: [customerId, loaded.version, changes] });
          applied = res.rows[0]?.ok === true;
          if (applied) {
            this.stats.commits++;
            this.stats.writes += batch.length;
          }
        }
        if (client) {
          if (!applied) throw new Error(`customer ${customerId} changed under its row lock`);
          await client.query('COMMIT');
        }
        if (!applied) {
          this.stats.conflicts++;
          continue;
        }
        if (loaded.version !== null) this.keep(customerId, loaded, end, changes === null ? loaded.version : loaded.version + 1);
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
        if (isGenerationIdTaken(error) && attempt < MAX_ID_RACE_RETRIES) {
          idTaken = true;
          continue;
        }
        if (batch.length > 1) {
          // A database error in a batch: run each write alone, so only the one at fault fails.
          for (const w of batch) await this.runBatch(customerId, [w]);
        } else {
          batch[0]!.reject(error);
        }
        return;
      } finally {
        held?.release();
      }
    }
  }

  /**
   * The one-round-trip path: the batch decided on the state kept of the customer and
   * written by one purse_apply call, checked there against the customer's version
   * (and the plans' rows). False — nothing written, nothing answered — when the
   * state does not cover the batch, when a write's answer would rest on something
   * presumed rather than confirmed by the write (a refusal, an answer that writes
   * nothing, a keyed write that does not write its key), or when the database has
   * moved on (another process, a change outside the engine, a presumed-new id or
   * key that was not): the batch is then decided on a snapshot, as without a state.
   */
  private async runOnKeptState(customerId: string, batch: PendingWrite[], load: MergedLoad, routes: WriteRoutes): Promise<boolean> {
    const entry = this.cache?.get(customerId);
    if (!entry || !batch.every((w) => covers(entry, w.load)) || !load.toolIds.every((id) => this.tools.has(id))) return false;
    const loaded = loadedFrom(customerId, entry, load, this.tools);
    const confirmed = batch.map((w) => ({
      ...w,
      decide: (s: CustomerSnapshot) => {
        const decision = w.decide(s);
        if (w.load.idempotencyKey !== undefined && decision.changes.idempotency?.key !== w.load.idempotencyKey) throw NOT_CONFIRMED;
        return decision;
      },
    }));
    const distributed = routes.distributed;
    const { outcomes, changes, end, idsToClaim } = decideInTurn(loaded, confirmed, { claimedBefore: distributed ? (id) => !routes.onCustomerNode(customerId, id) : null, oneRowEach: distributed });
    if (changes === null || outcomes.some((o) => !o.ok)) return false;
    let applied = false;
    try {
      if (distributed) {
        if (await this.claimGenerationIds(routes, customerId, idsToClaim)) applied = await this.applyAlone(routes.customer(customerId), customerId, entry.version, changes);
      } else {
        applied = await this.applyShared(routes.customer(customerId), customerId, entry.version, changes);
      }
    } catch {
      // Written nothing (one statement): the snapshot path decides again and reports what is wrong.
    }
    if (!applied) {
      // The customer, a plan or a tool moved on: the snapshot reads them again.
      this.cache!.delete(customerId);
      for (const id of load.toolIds) this.tools.delete(id);
      return false;
    }
    this.stats.writes += batch.length;
    this.stats.fromKeptState += batch.length;
    this.keep(customerId, loaded, end, entry.version + 1);
    batch.forEach((w, i) => w.resolve((outcomes[i] as { ok: true; value: unknown }).value));
    return true;
  }

  /** One customer's changes, in a call and a commit of their own. */
  private async applyAlone(pool: pg.Pool, customerId: string, version: number, changes: string): Promise<boolean> {
    const applied = (await pool.query({ name: 'purse_apply', text: APPLY_SQL, values: [customerId, version, changes] })).rows[0]?.ok === true;
    if (applied) this.stats.commits++;
    return applied;
  }

  /**
   * The shared commit (one database only): writes decided on kept state for different
   * customers go to the database together, in one purse_apply_all call and one commit,
   * whenever {@link MAX_SHARED_CALLS} calls are already out — as a group commit does, so
   * they share the round trip, the call's fixed cost and the WAL flush when the database
   * is busy, and wait for nothing when it is not. Each is written as if alone, or not at
   * all (false, its customer having moved on); an error fails them all, written nothing.
   */
  private applyShared(pool: pg.Pool, customerId: string, version: number, changes: string): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.shared.push({ customerId, version, changes, resolve, reject });
      if (this.sharedCalls < MAX_SHARED_CALLS) this.sendShared(pool);
    });
  }

  private sendShared(pool: pg.Pool): void {
    // In customer order: two processes' calls then take their customers' row locks in the same
    // order, and cannot deadlock.
    const writes = this.shared.splice(0, MAX_SHARED_WRITES).sort((x, y) => (x.customerId < y.customerId ? -1 : x.customerId > y.customerId ? 1 : 0));
    this.sharedCalls++;
    const sent =
      writes.length === 1
        ? this.applyAlone(pool, writes[0]!.customerId, writes[0]!.version, writes[0]!.changes).then((ok) => [ok])
        : pool
            .query({ name: 'purse_apply_all', text: APPLY_ALL_SQL, values: [`[${writes.map((w) => `[${JSON.stringify(w.customerId)},${w.version},${w.changes}]`).join(',')}]`] })
            .then((res) => {
              const oks = (res.rows[0]?.oks ?? []) as boolean[];
              if (oks.some((ok) => ok === true)) this.stats.commits++;
              return writes.map((_, i) => oks[i] === true);
            });
    sent
      .then(
        (oks) => writes.forEach((w, i) => w.resolve(oks[i]!)),
        (error) => writes.forEach((w) => w.reject(error)),
      )
      .finally(() => {
        this.sharedCalls--;
        if (this.shared.length > 0 && this.sharedCalls < MAX_SHARED_CALLS) this.sendShared(pool);
      });
  }

  /**
   * Claims new generation ids for the customer before the write, one statement
   * (one shard, its own transaction, sent to the id's node) per id; false when
   * another customer holds one. On Citus the id's row lives on the id's shard,
   * on another node than the customer's about half the time: written by
   * purse_apply it made those reservations two-phase commits. (An id whose shard
   * is on the customer's node is left to purse_apply: one node, one commit.) A claim
   * whose write then fails or never comes is kept, owned by the same customer: it
   * may still use the id, and a lookup by the id finds no generation (404); to
   * any other customer the id stays taken (the snapshot reads its owner).
   */
  private async claimGenerationIds(routes: WriteRoutes, customerId: string, ids: string[]): Promise<boolean> {
    const owners = await Promise.all(
      ids.map(async (id) => {
        const pool = routes.generationId(id);
        if ((await pool.query(CLAIM_GENERATION_ID_SQL, [id, customerId])).rowCount === 1) return customerId;
        return (await pool.query(GENERATION_ID_OWNER_SQL, [id])).rows[0]?.customer_id as string | undefined;
      }),
    );
    return owners.every((owner) => owner === customerId);
  }

  /** Keeps the customer as a batch left it at `version`, while its open holds are few and all known. */
  private keep(customerId: string, loaded: LoadedCustomer, end: EndState, version: number): void {
    if (!this.cache) return;
    const holds = [...end.generations.values(), ...loaded.otherHolds].filter((g) => g.customerId === customerId && g.status === 'reserved');
    if (!loaded.allHolds || !end.customer || holds.length > MAX_CACHED_HOLDS || holds.length !== (end.customer.inFlight ?? 0)) {
      this.cache.delete(customerId);
      return;
    }
    const drawnOn = new Set(holds.flatMap((g) => g.allocations.map((a) => a.grantId)));
    this.cache.set(customerId, {
      version,
      customer: end.customer,
      grants: new Map([...end.grants].filter(([id, g]) => (g.remaining > 0 && g.voidedAt === null) || drawnOn.has(id))),
      generations: new Map(holds.map((g) => [g.id, g])),
      subscription: end.subscription,
      plans: loaded.plans,
      planRows: loaded.planRows,
      spendWindows: end.spendWindows,
      windowStarts: new Set(end.spendWindows ? loaded.windowStarts : []),
    });
  }

  private async snapshot(db: pg.Pool | pg.PoolClient, customerId: string, load: MergedLoad, idTaken: boolean): Promise<LoadedCustomer> {
    const r = (
      await db.query({
        name: 'purse_snapshot',
        text: SNAPSHOT_SQL,
        values: [customerId, load.generationIds, load.grantIds, load.now, load.idempotencyKeys, load.planIds, load.purchaseIds, load.windowStarts, load.memberIds, MAX_CACHED_HOLDS, load.toolIds],
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
    // The open holds read beyond those named or due are kept aside: a decision sees what the
    // snapshot promises (CustomerSnapshot), and the kept state gets them all.
    const named = new Set(load.generationIds);
    const read = (r.generations as Row[]).map(rows.toGeneration);
    const generations = read.filter((g) => named.has(g.id) || isHoldDue(g, load.now));
    const otherHolds = read.filter((g) => !named.has(g.id) && !isHoldDue(g, load.now));
    const foreign = idTaken && load.generationIds.length > 0 ? await this.foreignGenerations(db, customerId, load.generationIds) : null;
    if (foreign) generations.push(...foreign.generations);
    const tools = new Map<string, KeptTool>();
    for (const row of r.tools as Row[]) {
      const kept = { tool: rows.toTool(row), row };
      tools.set(kept.tool.id, kept);
      this.tools.set(kept.tool.id, kept);
    }
    return {
      customerId,
      version: r.customer ? Number(r.customer.version) : null,
      customer: r.customer ? rows.toCustomer(r.customer) : null,
      grants: (r.grants as Row[]).map(rows.toGrant),
      generations,
      idempotency,
      subscription: r.subscription ? rows.toSubscription(r.subscription) : null,
      plans: (r.plans as Row[]).map(rows.toPlan),
      purchases: (r.purchases as Row[]).map(rows.toPurchase),
      spendWindows: r.spend_windows ? (r.spend_windows as Row[]).map(rows.toSpendWindow) : null,
      members: (r.members as Row[]).map(rows.toMember),
      ...(foreign && foreign.claimedOnly.length > 0 ? { generationIdsTaken: foreign.claimedOnly } : {}),
      planRows: Object.fromEntries((r.plans as Row[]).map((p) => [p.id as string, p])),
      allHolds: r.all_holds === true,
      otherHolds,
      windowStarts: load.windowStarts,
      tools,
    };
  }

  /**
   * The generations among `ids` that other customers hold, each read on its owner's
   * shard, and the ids they hold with no generation (claimed, its write in flight or lost).
   */
  private async foreignGenerations(db: pg.Pool | pg.PoolClient, customerId: string, ids: string[]): Promise<{ generations: Generation[]; claimedOnly: string[] }> {
    const owners = byCustomer((await db.query(FOREIGN_OWNERS_SQL, [ids, customerId])).rows, (r) => r.id as string);
    const generations: Generation[] = [];
    const claimedOnly: string[] = [];
    for (const [owner, theirs] of owners) {
      const found = (await db.query(FOREIGN_GENERATIONS_SQL, [owner, theirs])).rows.map(rows.toGeneration);
      generations.push(...found);
      claimedOnly.push(...theirs.filter((id) => !found.some((g) => g.id === id)));
    }
    return { generations, claimedOnly };
  }

}

interface PendingWrite {
  load: CustomerLoad;
  decide: (s: CustomerSnapshot) => Decision<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

interface SharedWrite {
  customerId: string;
  version: number;
  changes: string;
  resolve: (applied: boolean) => void;
  reject: (error: unknown) => void;
}

interface CustomerQueue {
  pending: PendingWrite[];
  running: boolean;
}

/** The most writes one `purse_apply` call carries. */
const MAX_BATCH = 128;

/**
 * How many shared-commit calls may be out at once; writes that come meanwhile wait and go
 * together. 2 against 1 and 4 (16 shares nothing with a pool of 16): 1,962-2,166 reserves/s
 * across 10,000 customers at 32 clients, against 1,692, 1,445 and 1,331-1,579 (the spread part of
 * bench/pg-bench.ts, alternating runs).
 */
const MAX_SHARED_CALLS = 2;
/** The most customers one shared-commit call carries. */
const MAX_SHARED_WRITES = 64;

/** How many customers' state the write engine keeps (each: its live grants and open holds). */
const KEPT_CUSTOMERS = 10_000;

/** A write decided on kept state whose answer the write itself would not confirm. */
const NOT_CONFIRMED = new Error('decided again on a snapshot');

/** The kept state as the snapshot `load` would read, in copies a decision may change freely. */
function loadedFrom(customerId: string, entry: CachedCustomer, load: MergedLoad, tools: Map<string, KeptTool>): LoadedCustomer {
  const named = new Set(load.generationIds);
  const holds = [...entry.generations.values()];
  const shown = (g: Generation) => named.has(g.id) || isHoldDue(g, load.now);
  return {
    customerId,
    version: entry.version,
    customer: { ...entry.customer },
    grants: [...entry.grants.values()].map((g) => ({ ...g })),
    generations: holds.filter(shown).map((g) => ({ ...g, allocations: [...g.allocations] })),
    otherHolds: holds.filter((g) => !shown(g)),
    idempotency: new Map(),
    subscription: entry.subscription ? { ...entry.subscription } : null,
    plans: entry.plans,
    purchases: [],
    spendWindows: entry.spendWindows ? entry.spendWindows.map((w) => ({ ...w })) : null,
    members: [],
    planRows: entry.planRows,
    allHolds: true,
    windowStarts: [...entry.windowStarts],
    fromCache: true,
    tools: new Map(load.toolIds.map((id) => [id, tools.get(id)!])),
  };
}

/** How often a batch is decided again after losing a generation id to another customer's write. */
const MAX_ID_RACE_RETRIES = 3;

/**
 * A unique violation of generation_ids' key. Citus reports it from a shard, under
 * the shard's name (`generation_ids_pkey_102302`) and with no constraint field —
 * and when the insert went from the node running purse_apply to another node, with
 * code XX000 rather than 23505 — so the message is read as well.
 */
function isGenerationIdTaken(error: unknown): boolean {
  const e = error as { code?: string; constraint?: string; message?: string };
  if (e?.code === '23505' && /^generation_ids_pkey(_\d+)?$/.test(e.constraint ?? '')) return true;
  return (e?.code === '23505' || e?.code === 'XX000') && /^duplicate key value violates unique constraint "generation_ids_pkey(_\d+)?"/.test(e.message ?? '');
}

interface MergedLoad {
  now: number;
  generationIds: string[];
  grantIds: string[];
  idempotencyKeys: string[];
  planIds: string[];
  purchaseIds: string[];
  /** The day and month windows of every write's `now` (a batch may straddle midnight). */
  windowStarts: number[];
  /** Team members any write spends as. */
  memberIds: string[];
  /** Tools whose price a write fixes. */
  toolIds: string[];
}

/** A tool as read, with its row as read (sent back by a write decided on it, to check it is unchanged). */
interface KeptTool {
  tool: Tool;
  row: Row;
}

interface LoadedCustomer extends Omit<CustomerSnapshot, 'idempotency'> {
  customerId: string;
  version: number | null;
  idempotency: Map<string, IdempotencyRecord>;
  /** The plans' rows as read (sent back by a write decided on them later, to check they are unchanged). */
  planRows: Record<string, unknown>;
  /** Whether every reserved generation of the customer was read (see MAX_CACHED_HOLDS). */
  allHolds: boolean;
  /** The open holds read besides those the writes name or that are due: not shown to the decisions. */
  otherHolds: Generation[];
  /** The window starts whose spend windows were read (when they were). */
  windowStarts: readonly number[];
  /** Decided on the engine's own state rather than a snapshot read now. */
  fromCache?: boolean;
  /** The tools the writes named that exist. */
  tools: Map<string, KeptTool>;
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
    windowStarts: [...new Set(loads.flatMap((l) => Object.values(windowStarts(l.now))))],
    memberIds: set((l) => (l.memberId === undefined ? [] : [l.memberId])),
    toolIds: set((l) => (l.toolId === undefined ? [] : [l.toolId])),
  };
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * Where a batch's statements go, and how purse_apply writes it. On one database
 * every statement goes to the one pool; on Citus (postgres-store.ts) a customer's
 * snapshot and write go straight to the node holding its shard, and a generation
 * id's claim to the node holding the id's row.
 */
export interface WriteRoutes {
  /** Distributed by Citus: new generation ids are claimed before the write (unless on the customer's node), and purse_apply writes one row per statement. */
  distributed: boolean;
  /** The pool a customer's snapshot and purse_apply call go to. */
  customer(customerId: string): pg.Pool;
  /** The pool a generation id's claim goes to. */
  generationId(id: string): pg.Pool;
  /** Whether the id's row is on the customer's node: purse_apply then writes it in its own transaction, still on one node. */
  onCustomerNode(customerId: string, id: string): boolean;
}

/** Every statement to one database. */
export function oneDatabase(pool: pg.Pool, distributed = false): WriteRoutes {
  return { distributed, customer: () => pool, generationId: () => pool, onCustomerNode: () => false };
}

/** How purse_apply is to write a batch on Citus (nothing claimed before, set-based, on one database). */
interface WriteMode {
  /**
   * Which new generations' ids are claimed before the call (true) and which purse_apply
   * writes itself, one row each, taking the customer's own earlier claim as its own;
   * null: purse_apply writes them all, set-based.
   */
  claimedBefore: ((id: string) => boolean) | null;
  /** One row per statement, each routed straight to the customer's shard. */
  oneRowEach: boolean;
}

/**
 * Decides each write of a batch on the state the writes before it left, and
 * gathers everything they changed into one `purse_apply` argument (null when
 * nothing changed). Rows changed twice are written once, as they ended.
 */
function decideInTurn(loaded: LoadedCustomer, batch: PendingWrite[], mode: WriteMode = { claimedBefore: null, oneRowEach: false }): { outcomes: Outcome[]; changes: string | null; end: EndState; idsToClaim: string[] } {
  const grants = new Map(loaded.grants.map((g) => [g.id, g]));
  const generations = new Map(loaded.generations.map((g) => [g.id, g]));
  const purchases = new Map(loaded.purchases.map((p) => [p.id, p]));
  const idempotency = new Map(loaded.idempotency);
  let subscription = loaded.subscription;
  const written = { grants: new RowChanges<Grant>(), generations: new RowChanges<Generation>(), purchases: new RowChanges<Purchase>() };
  const ledger: CustomerChanges['ledger'] = [];
  const events: CustomerChanges['events'] = [];
  const newKeys: IdempotencyRecord[] = [];
  let subscriptionChanged = false;
  const windows = loaded.spendWindows ? new Map(loaded.spendWindows.map((w) => [windowKey(w), w])) : null;
  const writtenWindows = new Map<string, SpendWindow>();
  let inFlightDelta = 0;
  let customer = loaded.customer;
  let customerChanged: CustomerChanges['customer'] = null;

  const upsert = <T extends { id: string }>(rows: RowChanges<T>, state: Map<string, T>, inserted: T[], updated: T[]) => {
    for (const row of inserted) {
      rows.insert(row);
      state.set(row.id, row);
    }
    for (const row of updated) {
      rows.update(row);
      state.set(row.id, row);
    }
  };

  const outcomes = batch.map((write): Outcome => {
    const key = write.load.idempotencyKey;
    const view: CustomerSnapshot = {
      customer: customer ? { ...customer, inFlight: (customer.inFlight ?? 0) + inFlightDelta } : null,
      grants: [...grants.values()],
      generations: [...generations.values()],
      idempotency: key === undefined ? null : (idempotency.get(key) ?? null),
      subscription,
      plans: loaded.plans,
      purchases: [...purchases.values()],
      spendWindows: windows ? [...windows.values()] : null,
      members: loaded.members,
      ...(loaded.generationIdsTaken ? { generationIdsTaken: loaded.generationIdsTaken } : {}),
      ...(write.load.toolId !== undefined ? { tool: loaded.tools.get(write.load.toolId)?.tool ?? null } : {}),
    };
    let decision: Decision<unknown>;
    try {
      decision = write.decide(view);
    } catch (error) {
      return { ok: false, error };
    }
    const c = decision.changes;
    upsert(written.grants, grants, c.insertGrants, c.updateGrants);
    upsert(written.generations, generations, c.insertGenerations, c.updateGenerations);
    upsert(written.purchases, purchases, c.insertPurchases, c.updatePurchases);
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
    for (const w of c.spendWindows) {
      windows?.set(windowKey(w), w);
      writtenWindows.set(windowKey(w), w);
    }
    inFlightDelta += c.inFlightDelta;
    if (c.customer && customer) {
      customer = { ...customer, ...c.customer };
      customerChanged = c.customer;
    }
    return { ok: true, value: decision.result };
  });

  const nothing =
    written.grants.size + written.generations.size + written.purchases.size + ledger.length + newKeys.length + events.length + writtenWindows.size === 0 &&
    !subscriptionChanged &&
    inFlightDelta === 0 &&
    customerChanged === null;
  const end: EndState = {
    customer: customer ? { ...customer, inFlight: (customer.inFlight ?? 0) + inFlightDelta } : null,
    grants,
    generations,
    subscription,
    spendWindows: windows ? [...windows.values()] : null,
  };
  if (nothing) return { outcomes, changes: null, end, idsToClaim: [] };
  const newGenerationIds = written.generations.inserted.map((g) => g.id);
  const idsToClaim = mode.claimedBefore ? newGenerationIds.filter(mode.claimedBefore) : [];
  const changes = JSON.stringify({
    insertGrants: written.grants.inserted.map(rows.grantParams),
    updateGrants: written.grants.updated.map(rows.grantParams),
    insertGenerations: written.generations.inserted.map(rows.generationParams),
    updateGenerations: written.generations.updated.map(rows.generationParams),
    ledger: ledger.map(rows.ledgerParams),
    idempotency: newKeys.map((k) => rows.idempotencyParams(loaded.customerId, k)),
    subscription: subscriptionChanged && subscription ? [rows.subscriptionParams(subscription)] : [],
    insertPurchases: written.purchases.inserted.map(rows.purchaseParams),
    updatePurchases: written.purchases.updated.map(rows.purchaseParams),
    events: events.map((e, i) => rows.eventParams(e, i + 1)),
    spendWindows: [...writtenWindows.values()].map(rows.spendWindowParams),
    inFlightDelta,
    ...(customerChanged ? { customer: rows.customerParams(loaded.customerId, customerChanged) } : {}),
    // A decision on plans read before this batch holds only while they are unchanged (purse_apply compares).
    ...(loaded.fromCache && Object.keys(loaded.planRows).length > 0 ? { plans: loaded.planRows } : {}),
    // So does a price: the tools' rows, kept or read outside the write's transaction, are compared too.
    ...(loaded.tools.size > 0 ? { tools: Object.fromEntries([...loaded.tools].map(([id, t]) => [id, t.row])) } : {}),
    // The ids claimed before this call (claimGenerationIds): purse_apply leaves them, and writes the others one row each.
    ...(mode.claimedBefore && newGenerationIds.length > 0 ? { generationIdsClaimed: idsToClaim } : {}),
    ...(mode.oneRowEach ? { oneRowEach: true } : {}),
  });
  return { outcomes, changes, end, idsToClaim };
}

/** The customer as a batch left it, had it been written. */
interface EndState {
  customer: Customer | null;
  grants: Map<string, Grant>;
  generations: Map<string, Generation>;
  subscription: Subscription | null;
  spendWindows: SpendWindow[] | null;
}
