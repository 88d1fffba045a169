import { postgresProblem } from '../../scripts/postgres-reachable.mjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { TEST_API_KEY } from '../helpers.js';
import { ADMIN_URL, createTestDatabase } from '../pg.js';
import { spawnPurse, type PurseProcess } from '../process.js';

/**
 * What the reliability suite shares: its size, the stores it runs on, a server
 * process per store, an HTTP client that tells "answered" from "don't know", and
 * a consistent snapshot of the database to check the books against.
 */

/** `ci` in .ci/run (PURSE_RELIABILITY_SIZE=ci); `full` otherwise. */
export const SIZE: 'ci' | 'full' = process.env.PURSE_RELIABILITY_SIZE === 'ci' ? 'ci' : 'full';

export const sized = (ci: number, full: number) => (SIZE === 'ci' ? ci : full);

/** A short, repeatable pseudo-random source, so a failing run can be replayed with PURSE_RELIABILITY_SEED. */
export function rng(seed: number) {
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
  return {
    next,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
    chance: (p: number) => next() < p,
  };
}
export const SEED = Number(process.env.PURSE_RELIABILITY_SEED ?? Date.now() % 1_000_000);

/** Where a suite runs: SQLite always; PostgreSQL when a server answers (in CI it must). */
export interface StoreKind {
  name: 'sqlite' | 'postgres';
  /** A fresh database for one test: its URL and how to remove it. */
  create(): Promise<{ url: string; drop(): Promise<void> }>;
}

const sqliteKind: StoreKind = {
  name: 'sqlite',
  async create() {
    const dir = mkdtempSync(join(tmpdir(), 'purse-rel-'));
    return { url: `sqlite:${join(dir, 'purse.db')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  },
};

const postgresKind: StoreKind = { name: 'postgres', create: createTestDatabase };

const pgProblem = await postgresProblem();
if (pgProblem) {
  const banner = '!'.repeat(78);
  if (process.env.CI === 'true') throw new Error(`CI=true and PostgreSQL is not reachable at ${ADMIN_URL}: ${pgProblem}`);
  console.error(`\n${banner}\n  The reliability suite's PostgreSQL half was SKIPPED: ${pgProblem}\n${banner}\n`);
}

export const STORES: StoreKind[] = pgProblem ? [sqliteKind] : [sqliteKind, postgresKind];
export const ON_PG_AVAILABLE = !pgProblem;

/** Starts the real server in its own process on `url`. */
export function startServer(url: string, env: Record<string, string> = {}): Promise<PurseProcess> {
  return spawnPurse({
    PURSE_DATABASE_URL: url,
    PURSE_API_KEY: TEST_API_KEY,
    PURSE_SESSION_SECRET: 'reliability-session-secret-of-32-bytes',
    PURSE_TEST_CLOCK: '1',
    PURSE_SWEEP_SECONDS: '1',
    ...env,
  });
}

export interface Answer {
  status: number;
  body: any;
}

/** Thrown when no answer came (the connection broke or the server is gone): the outcome is unknown. */
export class NoAnswer extends Error {}

/** One HTTP call with the test key. Resolves with any answer; rejects with {@link NoAnswer} when none came. */
export async function call(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  let res: Response;
  let text: string;
  try {
    res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${TEST_API_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    text = await res.text();
  } catch (err) {
    throw new NoAnswer(String((err as Error).cause ?? err));
  }
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: parsed };
}

/** Like {@link call}, but anything other than `expected` is an error. For setup steps. */
export async function must(base: string, method: string, path: string, body: unknown, expected: number | number[], headers: Record<string, string> = {}): Promise<any> {
  const res = await call(base, method, path, body, headers);
  if (!(Array.isArray(expected) ? expected : [expected]).includes(res.status)) throw new Error(`${method} ${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

/** The books of every customer, read in one consistent snapshot straight from the database. */
export interface Books {
  customers: Map<string, { granted: number; available: number; reserved: number; spent: number; expired: number; voided: number; minRemaining: number }>;
  /** Per generation: status, cost, what the ledger reserved for it and what it settled (charge + release). */
  generations: Map<string, { customerId: string; status: string; cost: number; charged: number; refunded: number; reservedInLedger: number; settledInLedger: number; refundedInLedger: number }>;
  grants: Map<string, { customerId: string; amount: number; remaining: number; source: string }>;
  purchases: Array<{ customerId: string; id: string; status: string; autoTopUp: boolean; createdAt: number }>;
  idempotencyKeys: number;
  /** Spend limits: each customer's open-hold counter and reserved generations, the stored window counters, and the counters the ledger gives. */
  limits: {
    inFlight: Map<string, { counter: number; reserved: number }>;
    /** `customer:scope:tool:window:start` → used, as stored in spend_windows. */
    stored: Map<string, number>;
    /** The same keys from the ledger: costs of counted generations made in the window, less what came back within it. */
    derived: Map<string, number>;
  };
}

const DAY_MS = 86_400_000;
/** The UTC day and month windows of `at` (README, "Spend limits"). */
export function windowStartsOf(at: number): { day: number; month: number } {
  const d = new Date(at);
  return { day: Math.floor(at / DAY_MS) * DAY_MS, month: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) };
}
export const windowKeyOf = (customerId: string, scope: string, toolId: string, window: 'day' | 'month', start: number) => `${customerId}:${scope}:${toolId}:${window}:${start}`;

const BOOKS_SQL = {
  grants: 'SELECT customer_id, id, amount, remaining, source FROM grants',
  generations: 'SELECT customer_id, id, status, cost, charged, refunded, tool_id, created_at, counted FROM generations',
  returns: "SELECT customer_id, generation_id, amount, created_at FROM ledger_entries WHERE type IN ('release', 'refund') AND generation_id IS NOT NULL",
  inFlight: 'SELECT id, in_flight FROM customers',
  windows: 'SELECT customer_id, scope, tool_id, window_kind, window_start, used FROM spend_windows',
  byGeneration: `SELECT customer_id, generation_id,
                   SUM(CASE WHEN type = 'reserve' THEN amount ELSE 0 END) AS reserved,
                   SUM(CASE WHEN type IN ('charge', 'release') THEN amount ELSE 0 END) AS settled,
                   SUM(CASE WHEN type = 'refund' THEN amount ELSE 0 END) AS refunded
                 FROM ledger_entries WHERE generation_id IS NOT NULL GROUP BY customer_id, generation_id`,
  lost: `SELECT customer_id, SUM(CASE WHEN type = 'expire' THEN amount ELSE 0 END) AS expired,
                SUM(CASE WHEN type = 'void' THEN amount ELSE 0 END) AS voided
         FROM ledger_entries GROUP BY customer_id`,
  purchases: 'SELECT customer_id, id, status, auto_top_up, created_at FROM purchases',
};

type Rows = Record<string, Array<Record<string, any>>>;

function toBooks(rows: Rows): Books {
  const customers: Books['customers'] = new Map();
  const of = (c: string) => {
    let b = customers.get(c);
    if (!b) customers.set(c, (b = { granted: 0, available: 0, reserved: 0, spent: 0, expired: 0, voided: 0, minRemaining: Infinity }));
    return b;
  };
  const grants: Books['grants'] = new Map();
  for (const g of rows.grants!) {
    const b = of(g.customer_id);
    b.granted += Number(g.amount);
    b.available += Number(g.remaining);
    b.minRemaining = Math.min(b.minRemaining, Number(g.remaining));
    grants.set(g.id, { customerId: g.customer_id, amount: Number(g.amount), remaining: Number(g.remaining), source: g.source });
  }
  const generations: Books['generations'] = new Map();
  for (const g of rows.generations!) {
    const b = of(g.customer_id);
    if (g.status === 'reserved') b.reserved += Number(g.cost);
    b.spent += Number(g.charged) - Number(g.refunded);
    generations.set(g.id, { customerId: g.customer_id, status: g.status, cost: Number(g.cost), charged: Number(g.charged), refunded: Number(g.refunded), reservedInLedger: 0, settledInLedger: 0, refundedInLedger: 0 });
  }
  for (const r of rows.byGeneration!) {
    const g = generations.get(r.generation_id);
    if (!g) {
      generations.set(r.generation_id, { customerId: r.customer_id, status: 'missing', cost: 0, charged: 0, refunded: 0, reservedInLedger: Number(r.reserved), settledInLedger: Number(r.settled), refundedInLedger: Number(r.refunded) });
      continue;
    }
    g.reservedInLedger = Number(r.reserved);
    g.settledInLedger = Number(r.settled);
    g.refundedInLedger = Number(r.refunded);
  }
  const limits: Books['limits'] = { inFlight: new Map(), stored: new Map(), derived: new Map() };
  for (const c of rows.inFlight!) limits.inFlight.set(c.id, { counter: Number(c.in_flight), reserved: 0 });
  for (const g of rows.generations!) if (g.status === 'reserved') limits.inFlight.get(g.customer_id)!.reserved++;
  for (const w of rows.windows!) limits.stored.set(windowKeyOf(w.customer_id, w.scope, w.tool_id, w.window_kind, Number(w.window_start)), Number(w.used));
  const counted = new Map<string, { customerId: string; toolId: string; createdAt: number; cost: number }>();
  for (const g of rows.generations!) if (Number(g.counted) === 1) counted.set(g.id, { customerId: g.customer_id, toolId: g.tool_id, createdAt: Number(g.created_at), cost: Number(g.cost) });
  const add = (g: { customerId: string; toolId: string; createdAt: number }, amount: number, at: number) => {
    for (const [scope, tool] of [['customer', ''], ['tool', g.toolId]] as const) {
      for (const w of ['day', 'month'] as const) {
        const start = windowStartsOf(g.createdAt)[w];
        if (windowStartsOf(at)[w] !== start) continue;
        const key = windowKeyOf(g.customerId, scope, tool, w, start);
        limits.derived.set(key, (limits.derived.get(key) ?? 0) + amount);
      }
    }
  };
  for (const g of counted.values()) add(g, g.cost, g.createdAt);
  for (const r of rows.returns!) {
    const g = counted.get(r.generation_id);
    if (g) add(g, -Number(r.amount), Number(r.created_at));
  }
  for (const r of rows.lost!) {
    const b = of(r.customer_id);
    b.expired = Number(r.expired);
    b.voided = Number(r.voided);
  }
  return {
    customers,
    generations,
    grants,
    purchases: rows.purchases!.map((p) => ({ customerId: p.customer_id, id: p.id, status: p.status, autoTopUp: Boolean(p.auto_top_up), createdAt: Number(p.created_at) })),
    idempotencyKeys: Number(rows.idem![0]!.n),
    limits,
  };
}

/** Reads {@link Books} from a database a server process is writing to, without stopping it. */
export interface BookReader {
  read(): Promise<Books>;
  /** The store's own ledger check (Rule 13), from this process. */
  audit(): Promise<{ problems: string[]; entries: number }>;
  close(): Promise<void>;
}

export async function openBooks(url: string): Promise<BookReader> {
  let store: Store | null = null;
  const theStore = async () => (store ??= await openStore(url));
  const audit = async () => {
    // A PostgreSQL restart breaks pooled connections; the first queries after it may fail.
    for (let attempt = 0; ; attempt++) {
      try {
        return await (await theStore()).audit();
      } catch (err) {
        if (attempt >= 20) throw err;
        await store?.close().catch(() => {});
        store = null;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  };
  const sqls = { ...BOOKS_SQL, idem: 'SELECT COUNT(*) AS n FROM idempotency_keys' };
  if (url.startsWith('sqlite:')) {
    const db = new Database(url.slice('sqlite:'.length), { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 10000');
    const statements = Object.fromEntries(Object.entries(sqls).map(([k, s]) => [k, db.prepare(s)]));
    const snapshot = db.transaction(() => Object.fromEntries(Object.entries(statements).map(([k, st]) => [k, st.all() as Array<Record<string, any>>])));
    return {
      read: async () => toBooks(snapshot.deferred()),
      audit,
      async close() {
        db.close();
        await store?.close();
      },
    };
  }
  const read = async (): Promise<Books> => {
    for (let attempt = 0; ; attempt++) {
      const client = new pg.Client({ connectionString: url });
      try {
        await client.connect();
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        const rows: Rows = {};
        for (const [k, s] of Object.entries(sqls)) rows[k] = (await client.query(s)).rows;
        await client.query('COMMIT');
        return toBooks(rows);
      } catch (err) {
        if (attempt >= 40) throw err;
        await new Promise((r) => setTimeout(r, 250));
      } finally {
        await client.end().catch(() => {});
      }
    }
  };
  return { read, audit, close: async () => void (await store?.close()) };
}

/**
 * Every rule the books must keep at every moment: per customer, granted =
 * available + reserved + spent + expired + voided, nothing negative; per
 * generation, the ledger holds what its status says and it settled at most once.
 */
export function violations(b: Books): string[] {
  const out: string[] = [];
  for (const [c, x] of b.customers) {
    const sum = x.available + x.reserved + x.spent + x.expired + x.voided;
    if (x.granted !== sum) out.push(`${c}: granted ${x.granted} ≠ available ${x.available} + reserved ${x.reserved} + spent ${x.spent} + expired ${x.expired} + voided ${x.voided} = ${sum}`);
    for (const [k, v] of Object.entries(x)) if (v < 0) out.push(`${c}: ${k} is negative (${v})`);
  }
  // The open-hold counter is the count of reserved generations; every spend window is what the ledger says.
  for (const [c, f] of b.limits.inFlight) if (f.counter !== f.reserved) out.push(`${c}: in_flight ${f.counter}, reserved generations ${f.reserved}`);
  for (const [key, used] of b.limits.stored) if ((b.limits.derived.get(key) ?? 0) !== used) out.push(`spend window ${key}: stored ${used}, ledger says ${b.limits.derived.get(key) ?? 0}`);
  for (const [key, used] of b.limits.derived) if (used !== 0 && !b.limits.stored.has(key)) out.push(`spend window ${key}: ledger says ${used}, none stored`);
  for (const [id, g] of b.generations) {
    if (g.status === 'missing') {
      out.push(`ledger entries for generation ${id} that does not exist`);
      continue;
    }
    if (g.reservedInLedger !== g.cost) out.push(`generation ${id}: cost ${g.cost}, reserved in the ledger ${g.reservedInLedger}`);
    const settled = g.status === 'reserved' ? 0 : g.cost;
    if (g.settledInLedger !== settled) out.push(`generation ${id} (${g.status}): settled ${g.settledInLedger} in the ledger, expected ${settled} (settled more than once?)`);
    if (g.refundedInLedger !== g.refunded || g.refunded > g.charged) out.push(`generation ${id}: refunded ${g.refunded} of ${g.charged}, ledger refunded ${g.refundedInLedger}`);
  }
  return out;
}

/** A PUT creates (201) or updates (200). */
export const PUT_OK = [200, 201];

/** Catalog and customers for a run: tools of several costs, a daily plan, a pack. */
export async function seedCatalog(base: string): Promise<void> {
  await must(base, 'PUT', '/v1/tools/rel-chat', { name: 'Chat', credits: 1 }, PUT_OK);
  await must(base, 'PUT', '/v1/tools/rel-image', { name: 'Image', credits: 3, unit: 'image' }, PUT_OK);
  await must(base, 'PUT', '/v1/tools/rel-video', { name: 'Video', credits: 7, unit: 'second', holdSeconds: 1800 }, PUT_OK);
  await must(base, 'PUT', '/v1/plans/rel-daily', { name: 'Daily', creditsPerPeriod: 120, period: 'day', price: { amount: 100, currency: 'usd' }, rollover: { max: 20 } }, PUT_OK);
  await must(base, 'PUT', '/v1/packs/rel-pack', { name: 'Pack', credits: 50, price: { amount: 500, currency: 'usd' } }, PUT_OK);
}

export const TOOLS = ['rel-chat', 'rel-image', 'rel-video'] as const;
