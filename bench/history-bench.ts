/**
 * Cost as history grows: reserve and balance latency for one customer with 0, 1
 * million and 10 million ledger entries already stored (SQLite, FULL). Purse
 * never reads the ledger on the hot path, so latency should stay flat.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { putTool } from '../src/service/catalog.js';
import { systemClock } from '../src/service/clock.js';
import type { ServiceContext } from '../src/service/context.js';
import { getBalance, putCustomer } from '../src/service/customers.js';
import { complete, reserve } from '../src/service/generations.js';
import { grantCredits } from '../src/service/grants.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';

export interface HistoryPoint {
  entries: number;
  seedSeconds: number;
  reserveP50ms: number;
  reserveP99ms: number;
  balanceP50ms: number;
  balanceP99ms: number;
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * p)] ?? 0;

/** Adds `n` ledger entries (with their generations, one per two entries) to customer `hist` and 99 others, straight in SQL. */
function seed(path: string, n: number): void {
  if (n === 0) return;
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const gens = Math.floor(n / 2);
  db.exec(`
    WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < ${gens - 1})
    INSERT INTO generations (customer_id, id, tool_id, units, unit_credits, cost, status, allocations, charged_units, charged, refunded, metadata, hold_until, failure_reason, created_at, settled_at)
    SELECT CASE WHEN i % 10 = 0 THEN 'hist' ELSE 'other' || (i % 99) END, 'seed-' || i, 'bench-tool', 1, 1, 1, 'completed', '[]', 1, 1, 0, NULL, 0, NULL, i, i FROM seq;
    WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < ${n - 1})
    INSERT INTO ledger_entries (customer_id, type, grant_id, source, generation_id, tool_id, amount, available_delta, reserved_delta, reason, created_at)
    SELECT CASE WHEN (i / 2) % 10 = 0 THEN 'hist' ELSE 'other' || ((i / 2) % 99) END, CASE WHEN i % 2 = 0 THEN 'reserve' ELSE 'charge' END,
           'seed-grant', 'bonus', 'seed-' || (i / 2), 'bench-tool', 1, CASE WHEN i % 2 = 0 THEN -1 ELSE 0 END, CASE WHEN i % 2 = 0 THEN 1 ELSE -1 END, NULL, i FROM seq;
  `);
  db.close();
}

/**
 * Every size's database is seeded and opened first; then the samples are taken
 * in rounds, one reserve (and its completion) and one balance read on each size
 * per round, the order rotating from round to round. A reserve at one client
 * waits for one fsync, whose time on a shared disk drifts by a quarter from
 * minute to minute (measured one size after the other, the same code gave 0.71x
 * to 1.44x at 10 million entries); interleaved, the drift falls on every size alike.
 */
export async function historyBench(opts: { sizes: number[]; samples: number }): Promise<HistoryPoint[]> {
  const WARM_UP = 50;
  const opened: Array<{ dir: string; store: SqliteStore; ctx: ServiceContext; seedSeconds: number; reserve: number[]; balance: number[] }> = [];
  try {
    for (const entries of opts.sizes) {
      const dir = mkdtempSync(join(tmpdir(), 'purse-bench-history-'));
      const path = join(dir, 'purse.db');
      const setup = new SqliteStore(path);
      await setup.migrate();
      await setup.close();
      const t0 = performance.now();
      seed(path, entries);
      const seedSeconds = (performance.now() - t0) / 1000;
      const store = new SqliteStore(path);
      const ctx: ServiceContext = { store, clock: systemClock };
      opened.push({ dir, store, ctx, seedSeconds, reserve: [], balance: [] });
      await putTool(ctx, 'bench-tool', { name: 'Bench', credits: 1 });
      await putCustomer(ctx, 'hist', {});
      await grantCredits(ctx, 'hist', { amount: 1_000_000_000, source: 'bonus', reason: 'bench' });
    }
    for (let i = 0; i < opts.samples + WARM_UP; i++) {
      for (let k = 0; k < opened.length; k++) {
        const one = opened[(i + k) % opened.length]!;
        let t = performance.now();
        const gen = await reserve(one.ctx, { customerId: 'hist', toolId: 'bench-tool' });
        const r = performance.now() - t;
        await complete(one.ctx, gen.body.id, {});
        t = performance.now();
        await getBalance(one.ctx, 'hist');
        const b = performance.now() - t;
        if (i >= WARM_UP) {
          one.reserve.push(r);
          one.balance.push(b);
        }
      }
    }
    return opened.map((one, k) => ({
      entries: opts.sizes[k]!,
      seedSeconds: one.seedSeconds,
      reserveP50ms: pct(one.reserve, 0.5),
      reserveP99ms: pct(one.reserve, 0.99),
      balanceP50ms: pct(one.balance, 0.5),
      balanceP99ms: pct(one.balance, 0.99),
    }));
  } finally {
    for (const one of opened) {
      await one.store.close();
      rmSync(one.dir, { recursive: true, force: true });
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const sizes = (process.env.BENCH_HISTORY ?? '0,1000000').split(',').map(Number);
  console.log(JSON.stringify(await historyBench({ sizes, samples: 500 }), null, 2));
}
